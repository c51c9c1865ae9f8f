/** The subscriptions one WebSocket connection may hold at once. */
export class SubscriptionSlots {
  private used = 0;

  constructor(readonly max: number) {}

  /** Takes a slot and answers the function that gives it back (once, however often it is called); null when full. */
  tryTake(): (() => void) | null {
    if (this.used >= this.max) return null;
    this.used++;
    let held = true;
    return () => {
      if (held) this.used--;
      held = false;
    };
  }

  inUse(): number {
    return this.used;
  }
}
