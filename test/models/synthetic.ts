import { seededRandom } from '#lib/random';

/** Small interaction data with structure a recommender can learn: users like items of their own cluster. */
export function syntheticRatings(users = 60, items = 40, perUser = 8, seed = 11): string {
  const rand = seededRandom(seed);
  const lines: string[] = [];
  for (let u = 0; u < users; u++) {
    const cluster = u % 4;
    const chosen = new Set<number>();
    while (chosen.size < perUser) {
      const item = rand() < 0.85 ? cluster * (items / 4) + Math.floor(rand() * (items / 4)) : Math.floor(rand() * items);
      chosen.add(item);
    }
    [...chosen].forEach((item, t) => lines.push(`u${u}\ti${item}\t5\t${1_000_000 + u * 100 + t}`));
  }
  return `${lines.join('\n')}\n`;
}
