/** What the capture server records: one entry per request an agent made. */

/** Which API surface a request looks like, from its method and path. */
export type EndpointKind =
  | 'anthropic.messages'
  | 'anthropic.count_tokens'
  | 'openai.chat'
  | 'openai.responses'
  | 'models'
  | 'connect'
  | 'other';

/** How the request reached the capture server. */
export type Arrival =
  /** An ordinary request (base URL pointed here, or a sinkholed name). */
  | 'direct'
  /** An absolute-URL request sent to us as an HTTP forward proxy. */
  | 'proxy'
  /** The CONNECT request itself (HTTPS through a forward proxy). */
  | 'connect'
  /** A request inside a CONNECT tunnel that the server intercepted. */
  | 'tunnel'
  /** Bytes that were not HTTP. */
  | 'raw';

export interface CapturedRequest {
  /** Arrival order on this server, from 0. */
  seq: number;
  /** ISO time the request was complete. */
  time: string;
  arrival: Arrival;
  tls: boolean;
  method: string;
  /** The host the agent believed it talked to (Host header, absolute URL, SNI or CONNECT target), lower-case, no port. */
  host: string;
  /** Port the agent addressed, when it said so (absolute URL, CONNECT, Host header). */
  port?: number;
  /** Path and query as sent. */
  path: string;
  endpoint: EndpointKind;
  /** Lower-cased header names; credential values redacted. */
  headers: Record<string, string>;
  /** The body as UTF-8 text after content decoding (gzip, deflate, br), up to the size limit. */
  body: string;
  /** Body size on the wire. */
  bodyBytes: number;
  /** True when the body was larger than the limit (the text is cut) or could not be decoded. */
  truncated: boolean;
  /** The parsed JSON body, when the body is JSON. */
  json?: unknown;
  /** True when the client asked for a streamed (SSE) answer. */
  stream: boolean;
  /** The HTTP status the capture server answered with. */
  status: number;
}
