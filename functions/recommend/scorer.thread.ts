/** Entry of recommend's model thread (see models/ease/offThread.ts); bundled beside index.js. */
import { serveScorerThread } from '#models/ease/offThread';

void serveScorerThread();
