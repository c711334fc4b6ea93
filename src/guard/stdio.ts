/**
 * Writing to the terminal from a long-running guard without ever looping or crashing.
 * When the reader of stdout/stderr goes away (a parent killed, `| head`), a write fails
 * with EPIPE *asynchronously*; unhandled, that error becomes an uncaughtException whose
 * handler writes to stderr again, which fails again: a busy loop that never exits. Here
 * a failed stream is marked dead and later writes to it are dropped.
 */
const dead = new WeakSet<NodeJS.WriteStream>();
let installed = false;

function watch(stream: NodeJS.WriteStream): void {
  stream.on('error', () => {
    dead.add(stream);
  });
}

/** Installs the error handlers on stdout and stderr (idempotent). */
export function guardStdio(): void {
  if (installed) return;
  installed = true;
  watch(process.stdout);
  watch(process.stderr);
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (dead.has(stream) || stream.destroyed || !stream.writable) return;
  try {
    stream.write(text);
  } catch {
    dead.add(stream);
  }
}

export function writeStderr(text: string): void {
  guardStdio();
  write(process.stderr, text);
}

export function writeStdout(text: string): void {
  guardStdio();
  write(process.stdout, text);
}

/**
 * Keeps a long-running guard alive through a bug in one request: report it once per
 * distinct message, carry on. Reporting never throws and never re-enters itself.
 */
export function survive(log: (line: string) => void): void {
  guardStdio();
  let reporting = false;
  const report = (what: unknown) => {
    if (reporting) return;
    reporting = true;
    try {
      log(`internal error (guard keeps running): ${what instanceof Error ? what.message.split('\n')[0] : String(what)}`);
    } catch {
      // Nowhere left to report to.
    } finally {
      reporting = false;
    }
  };
  process.on('uncaughtException', report);
  process.on('unhandledRejection', report);
}
