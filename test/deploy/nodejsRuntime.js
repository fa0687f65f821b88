/**
 * FC's built-in Node.js runtime, as far as a function can tell: started in the code folder with
 * the function's environment, it loads the module named by FC_FUNCTION_HANDLER and calls
 * `handler(event: Buffer, context)` for each invocation (sent here over IPC by the test).
 */

const path = require('node:path');

const [file, exportName] = process.env.FC_FUNCTION_HANDLER.split('.');
const mod = require(path.join(process.env.FC_FUNC_CODE_PATH, `${file}.js`));

process.on('message', async ({ id, event, context }) => {
  try {
    const result = await mod[exportName](Buffer.from(event, 'base64'), context);
    process.send({ id, ok: true, result: result === undefined ? null : result });
  } catch (err) {
    process.send({ id, ok: false, error: { name: err?.name, message: err?.message } });
  }
});
process.send({ ready: true });
