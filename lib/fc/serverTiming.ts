/** The `Server-Timing` header of a web function: each stage's duration, marked as a request goes. */
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
