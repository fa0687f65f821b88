/** Phones at rest: normalised to E.164, sealed with AES-256-GCM, found by a keyed hash. */
import { e164, PhoneVault } from '#lib/profiles';

const vault = new PhoneVault(Buffer.alloc(32, 3));

describe('phone vault', () => {
  it('normalises mainland mobiles to E.164 and refuses anything else', () => {
    for (const written of ['13812345678', '+86 138-1234-5678', '8613812345678', '+8613812345678'])
      expect(e164(written)).toBe('+8613812345678');
    for (const bad of ['12812345678', '1381234567', '+1 415 555 0100', '021-12345678', ''])
      expect(() => e164(bad)).toThrow('phone must be a mainland mobile number');
  });

  it('seals a number so that equal numbers never look equal, and opens it again', () => {
    const [a, b] = [vault.seal('+8613812345678'), vault.seal('+8613812345678')];
    expect(a).not.toBe(b);
    expect(a).not.toMatch(/1381234|5678/);
    expect(vault.open(a)).toBe('+8613812345678');
  });

  it('refuses a box sealed with another key, or altered', () => {
    const box = vault.seal('+8613812345678');
    expect(() => new PhoneVault(Buffer.alloc(32, 4)).open(box)).toThrow();
    const altered = Buffer.from(box, 'base64');
    altered[14] ^= 1;
    expect(() => vault.open(altered.toString('base64'))).toThrow();
  });

  it('looks a number up by a keyed hash: stable for a key, different under another', () => {
    expect(vault.lookupHash('+8613812345678')).toBe(vault.lookupHash('+8613812345678'));
    expect(vault.lookupHash('+8613812345678')).not.toBe(new PhoneVault(Buffer.alloc(32, 4)).lookupHash('+8613812345678'));
    expect(vault.lookupHash('+8613812345678')).not.toMatch(/1381234/);
  });
});
