/**
 * FC entry of `campaign` (built-in nodejs20 runtime, event handler): fired by timer
 * triggers whose payload names the schedule to run.
 */
import { eventHandler } from '#lib/fc/eventFunction';
import { runSchedule } from './schedule';

export const handler = eventHandler('campaign', runSchedule);
