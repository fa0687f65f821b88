/** The behaviour vocabulary shared by ingest, features and training. */

export const STANDARD_EVENT_TYPES = [
  'page_view',
  'exposure',
  'click',
  'favorite',
  'add_to_cart',
  'purchase',
  'share',
  'search',
] as const;

/** How strongly each event type says "this user likes this item" (custom `x_` types: 0). */
export const INTEREST_WEIGHT: Record<string, number> = {
  page_view: 1,
  exposure: 0,
  click: 2,
  favorite: 3,
  add_to_cart: 4,
  purchase: 6,
  share: 3,
  search: 0,
};

export const interestWeight = (type: string): number => INTEREST_WEIGHT[type] ?? 0;
