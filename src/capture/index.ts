/**
 * The capture server's public API: start a local endpoint that records every
 * request an agent makes and answers like the Anthropic and OpenAI APIs.
 * Used by `probe`; reusable by tests of other commands.
 */
export { startCaptureServer, redactHeader, type CaptureServer, type CaptureServerOptions } from './server.js';
export { createTlsAuthority, type TlsAuthority } from './tls-authority.js';
export { emulate, classifyEndpoint, DEFAULT_REPLY_TEXT, type EmulatedReply, type EmulateInput } from './emulate.js';
export type { CapturedRequest, EndpointKind, Arrival } from './types.js';
