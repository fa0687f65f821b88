/** SMS text rules shared by validation and sending: the opt-out wording, template placeholders, billing. */

/** Mainland rules require promotional SMS to tell the recipient how to opt out; it closes every promotional template. */
export const OPT_OUT_WORDING = '拒收请回复R';

const SINGLE_SEGMENT_CHARS = 70;
/** A long message is split into parts that each carry a 3-character concatenation header. */
const LONG_SEGMENT_CHARS = 67;

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const isPlaceholderName = (name: string): boolean => PLACEHOLDER_NAME.test(name);

/** The `${name}` placeholders of a template, each once, in order of first appearance (Tencent fills parameters by position). */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** The text a template becomes with its placeholders filled, as the provider fills them (a missing one stays empty). */
export const fillTemplate = (template: string, params: Record<string, string>): string =>
  template.replace(PLACEHOLDER, (_m, name: string) => params[name] ?? '');

/** Characters as the carriers count them: Unicode code points (an emoji is one, not two UTF-16 units). */
export const characterCount = (text: string): number => [...text].length;

/** Billed segments of one message: the carrier bills `【signName】` + text, 70 characters in one, else 67 a segment. */
export function segments(text: string, signName: string): number {
  const length = characterCount(`【${signName}】${text}`);
  return length <= SINGLE_SEGMENT_CHARS ? 1 : Math.ceil(length / LONG_SEGMENT_CHARS);
}

/** What `segmentCount` segments cost, in yuan, without floating-point noise (to a millionth of a yuan). */
export function costYuan(segmentCount: number, pricePerSegmentYuan: number): number {
  if (!Number.isInteger(segmentCount) || segmentCount < 0)
    throw new RangeError(`segment count must be a whole number ≥ 0, not ${segmentCount}`);
  if (!Number.isFinite(pricePerSegmentYuan) || pricePerSegmentYuan < 0)
    throw new RangeError(`price per segment must be ≥ 0 yuan, not ${pricePerSegmentYuan}`);
  return Math.round(segmentCount * pricePerSegmentYuan * 1e6) / 1e6;
}
