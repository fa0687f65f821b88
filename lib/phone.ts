/** Mainland mobile numbers, written any common way (`138 1234 5678`, `+86-138…`, `86138…`). */
const MAINLAND_MOBILE = /^(?:\+?86)?(1[3-9]\d{9})$/;

/** The 11-digit national number, or undefined for anything that is not a mainland mobile. */
export function mainlandMobile(phone: string): string | undefined {
  return MAINLAND_MOBILE.exec(phone.replace(/[\s-]/g, ''))?.[1];
}
