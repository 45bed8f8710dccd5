/**
 * A server clock that moves only when a test says so: rate limits refill on `advance`, never
 * while the test waits, so counts of accepted and refused commands are exact.
 */
export class TestClock {
  private ms = Date.now();
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}
