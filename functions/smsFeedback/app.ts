/** What sms-feedback does with each invocation: HTTP pushes from the providers, and its reconciliation timer. */
import { badRequest } from '#lib/errors';
import type { UseCase } from '#lib/fc/eventFunction';
import { answerCallback, type CallbackDeps } from './callbacks';
import { reconcile, type ReconcileDeps } from './reconcile';

export type FeedbackDeps = Omit<CallbackDeps, 'logger'> & Omit<ReconcileDeps, 'logger'> & { clock: () => number };

const isReconcileJob = (payload: unknown) =>
  typeof payload === 'object' && payload !== null && (payload as { job?: unknown }).job === 'reconcile';

export const feedbackUseCase =
  (deps: FeedbackDeps): UseCase =>
  async (invocation, _context, logger) => {
    if (invocation.kind === 'http') return answerCallback({ ...deps, logger }, invocation.request, deps.clock());
    if (invocation.kind === 'timer' || (invocation.kind === 'direct' && isReconcileJob(invocation.payload)))
      return reconcile({ ...deps, logger }, deps.clock());
    throw badRequest(
      'bad_event',
      `sms-feedback takes the providers' HTTP pushes and its timer (or {"job":"reconcile"}), not ${invocation.kind} events`,
    );
  };
