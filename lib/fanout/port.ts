/**
 * Asynchronous invocations with caller-chosen task ids, as FC3's InvokeFunction takes them
 * (`x-fc-invocation-type: Async`, `x-fc-async-task-id`): FC runs each task id once and refuses
 * a second submission of it (409), so a coordinator that is replayed or retried can submit
 * the same tasks again without starting any twice.
 */

/** FC's limit on an asynchronous invocation's payload: a task carries references, not data. */
export const MAX_ASYNC_PAYLOAD_BYTES = 128 * 1024;

export type Submitted = 'accepted' | 'duplicate';

export interface AsyncInvoker {
  readonly describe: string;
  submit(functionName: string, payload: object, taskId: string): Promise<Submitted>;
}

/** A task id FC accepts (letters, digits, `_` and `-`, at most 128), built from readable parts. */
export const taskIdOf = (...parts: string[]): string =>
  parts
    .join('-')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, 128);
