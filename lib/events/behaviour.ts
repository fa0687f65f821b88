/** The behaviour vocabulary shared by ingest, features and training: event types, interest weights, whose behaviour it is. */

/** One accepted behaviour event, as the feature store keeps it. */
export interface Behaviour {
  userId: string;
  type: string;
  /** Event time, epoch ms (clock-skew corrected). */
  ts: number;
  itemId?: string;
  /** Money spent (purchases): price × quantity. */
  amount?: number;
}

export const STANDARD_EVENT_TYPES = ['page_view', 'exposure', 'click', 'favorite', 'add_to_cart', 'purchase', 'share', 'search'] as const;

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

/** The fields of an event (as a client sends it, or as the raw log keeps it) that behaviour is made of. */
interface EventFields {
  type: string;
  user_id?: string;
  anonymous_id?: string;
  item_id?: string;
  price?: number;
  quantity?: number;
}

/** Whose behaviour it is: the user, or an anonymous visitor under `anon:<anonymous_id>` (features, training and serving agree). */
export const userKeyOf = (e: { user_id?: string; anonymous_id?: string }): string => e.user_id ?? `anon:${e.anonymous_id}`;

/** Behaviour for the feature store at time `ts`. */
export function behaviourOf(e: EventFields, ts: number): Behaviour {
  return {
    userId: userKeyOf(e),
    type: e.type,
    ts,
    itemId: e.item_id,
    amount: e.type === 'purchase' && e.price !== undefined ? e.price * (e.quantity ?? 1) : undefined,
  };
}
