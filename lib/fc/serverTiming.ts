/** The `Server-Timing` header of a web function: how long each stage of a request took. */

/** Stage durations, marked as a request goes, for the Server-Timing header. */
export class Stages {
  private readonly started = performance.now();
  private last = this.started;
  private readonly marks: [string, number][] = [];

  mark(stage: string): void {
    const t = performance.now();
    this.marks.push([stage, t - this.last]);
    this.last = t;
  }

  get elapsedMs(): number {
    return performance.now() - this.started;
  }

  header(): string {
    return [...this.marks, ['total', this.elapsedMs] as [string, number]].map(([s, ms]) => `${s};dur=${ms.toFixed(2)}`).join(', ');
  }
}
