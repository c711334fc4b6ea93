/**
 * A throwaway local certificate authority, so an agent that speaks HTTPS to a
 * real-looking host (`https://api.deepseek.com`) can be answered by the capture
 * server. The CA lives in memory for one probe; its certificate is handed to the
 * agent through NODE_EXTRA_CA_CERTS / SSL_CERT_FILE (and, inside the sandbox, the
 * system bundle). Certificates are built here in plain DER with node:crypto
 * (ECDSA P-256): no dependency, nothing written but the CA's public certificate.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface TlsAuthority {
  /** The CA certificate (PEM): what the agent must trust. */
  readonly caCertPem: string;
  /** A certificate and key for `hostname`, signed by the CA (cached per name). */
  leafFor(hostname: string): { certPem: string; keyPem: string };
  /** A TLS secure context for `hostname` (cached per name). */
  contextFor(hostname: string): SecureContext;
}

// --- minimal DER (X.690) encoding ----------------------------------------------------------

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);
const set = (...parts: Buffer[]): Buffer => tlv(0x31, ...parts);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if ((b[0]! & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function name(commonName: string): Buffer {
  return seq(
    set(seq(oid('2.5.4.10'), tlv(0x0c, Buffer.from('telltale probe (local, throwaway)')))),
    set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName)))),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** SHA-1 over the whole SPKI: a stable key identifier (RFC 5280 allows any unique method). */
function keyId(key: KeyObject): Buffer {
  return createHash('sha1').update(spkiOf(key)).digest();
}

interface CertSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  issuerKeyId: Buffer;
  ca: boolean;
  altName?: string;
}

function buildCertificate(spec: CertSpec): string {
  const now = Date.now();
  const extensions: Buffer[] = [
    extension('2.5.29.19', true, spec.ca ? seq(bool(true)) : seq()),
    // keyUsage: CA = digitalSignature|keyCertSign|cRLSign; leaf = digitalSignature.
    extension('2.5.29.15', true, spec.ca ? bitString(Buffer.from([0x86]), 1) : bitString(Buffer.from([0x80]), 7)),
    extension('2.5.29.14', false, octets(keyId(spec.publicKey))),
    extension('2.5.29.35', false, seq(tlv(0x80, spec.issuerKeyId))),
  ];
  if (!spec.ca && spec.altName !== undefined) {
    extensions.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
    const ip = isIP(spec.altName);
    const general =
      ip === 4 ? tlv(0x87, Buffer.from(spec.altName.split('.').map(Number))) : tlv(0x82, Buffer.from(spec.altName, 'ascii'));
    extensions.push(extension('2.5.29.17', false, seq(general)));
  }
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    ECDSA_SHA256,
    name(spec.issuer),
    seq(time(new Date(now - 2 * 86_400_000)), time(new Date(now + 30 * 86_400_000))),
    name(spec.subject),
    spkiOf(spec.publicKey),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, spec.signingKey);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

/** Creates a fresh in-memory CA. Leaf certificates share one key (minted once) to stay fast. */
export function createTlsAuthority(): TlsAuthority {
  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const leafKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caName = 'telltale probe local CA';
  const caKeyId = keyId(ca.publicKey);
  const caCertPem = buildCertificate({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    issuerKeyId: caKeyId,
    ca: true,
  });
  const leafKeyPem = leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const leaves = new Map<string, { certPem: string; keyPem: string }>();
  const contexts = new Map<string, SecureContext>();
  const leafFor = (hostname: string): { certPem: string; keyPem: string } => {
    const host = hostname.toLowerCase();
    let leaf = leaves.get(host);
    if (!leaf) {
      const certPem = buildCertificate({
        subject: host,
        issuer: caName,
        publicKey: leafKey.publicKey,
        signingKey: ca.privateKey,
        issuerKeyId: caKeyId,
        ca: false,
        altName: host,
      });
      leaf = { certPem: certPem + caCertPem, keyPem: leafKeyPem };
      leaves.set(host, leaf);
    }
    return leaf;
  };
  return {
    caCertPem,
    leafFor,
    contextFor(hostname: string): SecureContext {
      const host = hostname.toLowerCase();
      let ctx = contexts.get(host);
      if (!ctx) {
        const leaf = leafFor(host);
        ctx = createSecureContext({ cert: leaf.certPem, key: leaf.keyPem });
        contexts.set(host, ctx);
      }
      return ctx;
    },
  };
}
