class Inbox {
  constructor(startDrain, maxFrames, onOverflow) {
    this.startDrain = startDrain;
    this.maxFrames = maxFrames;
    this.onOverflow = onOverflow;
  }
  startDrain;
  maxFrames;
  onOverflow;
  queue = [];
  next = 0;
  draining = false;
  /** Accepts a frame from the socket. */
  push(frame) {
    if (this.queue.length - this.next >= this.maxFrames) return this.onOverflow(frame);
    this.queue.push(frame);
    if (this.draining) return;
    this.draining = true;
    this.startDrain();
  }
  /** The next frame to process, or undefined (and no longer draining) when empty. */
  take() {
    if (this.next === this.queue.length) {
      this.queue = [];
      this.next = 0;
      this.draining = false;
      return void 0;
    }
    return this.queue[this.next++];
  }
}
export {
  Inbox
};
//# sourceMappingURL=Inbox.js.map
