/**
 * The replies that mean "stop": the one list (carriers and providers expect `R`, `TD`, `T`,
 * `N` and `退订`; promotional templates end with `拒收请回复R`). A reply is compared after
 * folding full-width letters (NFKC), case, spaces and punctuation around it, so `ｒ`, ` td ` and
 * `退订。` count, while a sentence that merely contains one of the words does not.
 */

export const OPT_OUT_WORDS: readonly string[] = ['R', 'TD', 'T', 'N', '退订'];

const WORDS = new Set(OPT_OUT_WORDS);
/** Spaces (any kind) and punctuation, ASCII or CJK, at either end of a reply. */
const AROUND = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

/** The reply as it is compared: NFKC, trimmed of spaces and punctuation, upper case. */
export const normalisedReply = (text: string): string => text.normalize('NFKC').replace(AROUND, '').toUpperCase();

/** Whether a reply withdraws consent. */
export const isOptOut = (text: string): boolean => WORDS.has(normalisedReply(text));
