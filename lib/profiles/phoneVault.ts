/**
 * Phone numbers at rest: mainland mobiles normalised to E.164, encrypted with AES-256-GCM (a
 * fresh IV each time, so equal numbers never look equal), and found again by a keyed hash
 * (HMAC-SHA256), since opt-out replies arrive by number. Both keys derive from one secret
 * (`MKT_PHONE_KEY`), each for its own purpose.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { badRequest } from '#lib/errors';
import { mainlandMobile } from '#lib/phone';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** `+8613812345678` from any of `13812345678`, `+86 138-1234-5678`, `8613812345678`; a 400 for anything else. */
export function e164(phone: string): string {
  const national = mainlandMobile(phone);
  if (!national) throw badRequest('invalid_phone', 'phone must be a mainland mobile number');
  return `+86${national}`;
}

const derive = (secret: Buffer, purpose: string) => createHmac('sha256', secret).update(purpose).digest();

export class PhoneVault {
  private readonly encryptionKey: Buffer;
  private readonly lookupKey: Buffer;

  constructor(secret: Buffer) {
    this.encryptionKey = derive(secret, 'mkt phone encryption v1');
    this.lookupKey = derive(secret, 'mkt phone lookup v1');
  }

  /** base64(iv ‖ ciphertext ‖ tag) of an E.164 number. */
  seal(phone: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const sealed = Buffer.concat([iv, cipher.update(phone, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return sealed.toString('base64');
  }

  /** The number, or a thrown error when the box was not sealed with this key or was altered. */
  open(box: string): string {
    const sealed = Buffer.from(box, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** The number's lookup key: equal numbers, equal hashes; the number cannot be recovered without the secret. */
  lookupHash(phone: string): string {
    return createHmac('sha256', this.lookupKey).update(phone).digest('base64url');
  }
}
