import { InputError } from './errors.js';

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8, turning invalid bytes into a clear input error instead of silent U+FFFD. */
export function decodeUtf8Strict(bytes: Uint8Array, what: string): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new InputError(`${what} is not valid UTF-8; convert it to UTF-8 first`);
  }
}
