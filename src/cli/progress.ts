/**
 * A progress line on stderr, only on a terminal and only for work that takes
 * longer than a second (so quick runs and CI logs stay clean).
 */
export interface Progress {
  update(message: string): void;
  done(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function startProgress(stream: NodeJS.WriteStream = process.stderr, delayMs = 1000): Progress {
  if (!stream.isTTY || process.env.CI) return { update() {}, done() {} };
  const started = Date.now();
  let message = '';
  let frame = 0;
  let shown = false;
  const draw = () => {
    if (Date.now() - started < delayMs) return;
    shown = true;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const line = `${FRAMES[frame++ % FRAMES.length]} ${message} ${secs}s`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 80) - 1)}`);
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    update(m) {
      message = m;
    },
    done() {
      clearInterval(timer);
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
