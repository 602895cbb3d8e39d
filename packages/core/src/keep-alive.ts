/** While someone awaits delivery, one referenced handle keeps the process alive; otherwise nothing does. */
export class KeepAlive {
  #holds = 0;
  #keepAlive: NodeJS.Timeout | undefined;

  hold(): void {
    if (this.#holds++ === 0) this.#keepAlive = setInterval(() => {}, 1 << 30);
  }

  release(): void {
    if (--this.#holds === 0) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }
}
