/** A request body as JSON, or a 400 `invalid_json`; what shape it must have is the endpoint's to check. */
import { badRequest } from '#lib/errors';

export function jsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('invalid_json', 'body is not valid JSON');
  }
}
