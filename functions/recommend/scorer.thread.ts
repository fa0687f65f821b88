/** Entry of recommend's model thread (see models/recommender/offThread.ts); bundled beside index.js. */
import { serveScorerThread } from '#models/recommender/offThread';

void serveScorerThread();
