/**
 * A local certificate authority, so an agent that speaks HTTPS to a real host
 * name can be answered by telltale: `probe` answers `https://api.deepseek.com`
 * from its capture server with a throwaway CA that lives in memory for one probe;
 * `guard` with TLS interception uses a persisted CA whose name constraints limit
 * it to the configured upstream hosts (src/guard/intercept-ca.ts). Its
 * certificate is handed to the agent only (NODE_EXTRA_CA_CERTS / SSL_CERT_FILE),
 * never to the system. Certificates are built here in plain DER with node:crypto
 * (ECDSA P-256): no dependency.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
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

/** One TLV at `at`: where its contents start and where it ends. */
function readTlv(der: Buffer, at: number): { contents: number; end: number } {
  const first = der[at + 1]!;
  if (first < 0x80) return { contents: at + 2, end: at + 2 + first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + der[at + 2 + i]!;
  return { contents: at + 2 + n, end: at + 2 + n + length };
}

/** The subject name of a certificate, as DER: Certificate → tbsCertificate → sixth field. */
function subjectDer(certDer: Buffer): Buffer {
  const tbs = readTlv(certDer, readTlv(certDer, 0).contents);
  let at = tbs.contents;
  // version [0], serialNumber, signature, issuer, validity, subject
  for (let field = 0; field < 5; field++) at = readTlv(certDer, at).end;
  return certDer.subarray(at, readTlv(certDer, at).end);
}

function name(organization: string, commonName: string): Buffer {
  return seq(
    set(seq(oid('2.5.4.10'), tlv(0x0c, Buffer.from(organization)))),
    set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName)))),
  );
}

/** An IP address as bytes (4 or 16), or undefined for a host name. */
function ipBytes(host: string): Buffer | undefined {
  const kind = isIP(host);
  if (kind === 4) return Buffer.from(host.split('.').map(Number));
  if (kind !== 6) return undefined;
  // Expand `::` and read eight 16-bit groups.
  const [head, tail] = host.includes('::') ? host.split('::') as [string, string] : [host, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g || '0', 16), 2 * i));
  return out;
}

/** A subjectAltName / name-constraint GeneralName: dNSName [2] or iPAddress [7] (with a full mask in constraints). */
function generalName(host: string, inConstraint: boolean): Buffer {
  const ip = ipBytes(host);
  if (!ip) return tlv(0x82, Buffer.from(host, 'ascii'));
  return tlv(0x87, inConstraint ? Buffer.concat([ip, Buffer.alloc(ip.length, 0xff)]) : ip);
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
  /** DER of the subject and issuer names (the issuer's must be the CA's subject, byte for byte). */
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  issuerKeyId: Buffer;
  ca: boolean;
  altName?: string;
  /** CA only: the hosts it may sign for (RFC 5280 name constraints, critical). */
  permittedHosts?: readonly string[];
  notBefore: Date;
  notAfter: Date;
}

function buildCertificate(spec: CertSpec): string {
  const extensions: Buffer[] = [
    extension('2.5.29.19', true, spec.ca ? seq(bool(true)) : seq()),
    // keyUsage: CA = digitalSignature|keyCertSign|cRLSign; leaf = digitalSignature.
    extension('2.5.29.15', true, spec.ca ? bitString(Buffer.from([0x86]), 1) : bitString(Buffer.from([0x80]), 7)),
    extension('2.5.29.14', false, octets(keyId(spec.publicKey))),
    extension('2.5.29.35', false, seq(tlv(0x80, spec.issuerKeyId))),
  ];
  if (!spec.ca && spec.altName !== undefined) {
    extensions.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
    extensions.push(extension('2.5.29.17', false, seq(generalName(spec.altName, false))));
  }
  if (spec.ca && spec.permittedHosts && spec.permittedHosts.length > 0) {
    // permittedSubtrees [0]: one GeneralSubtree per host. A leaked key then cannot be used
    // to impersonate any other site to a client that trusts this CA.
    extensions.push(extension('2.5.29.30', true, seq(tlv(0xa0, ...spec.permittedHosts.map((h) => seq(generalName(h, true)))))));
  }
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    ECDSA_SHA256,
    spec.issuer,
    seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spkiOf(spec.publicKey),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, spec.signingKey);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

export interface AuthorityOptions {
  /** Organisation in both subjects: what a person inspecting the certificate sees. */
  organization?: string;
  commonName?: string;
  /** The hosts (names or IP addresses) the CA may sign for; unconstrained when absent. */
  permittedHosts?: readonly string[];
  /** CA validity from now (default 30 days; leaves get at most 7 days, re-minted daily). */
  validityDays?: number;
  now?: Date;
}

/** A CA's key pair and certificate, to persist and load again (PEM). */
export interface AuthorityMaterial {
  caCertPem: string;
  caKeyPem: string;
}

const DAY = 86_400_000;
const LEAF_DAYS = 7;
const LEAF_REMINT_MS = DAY;

/** Creates a new CA: key pair and self-signed certificate. */
export function createAuthorityMaterial(options: AuthorityOptions = {}): AuthorityMaterial {
  const now = (options.now ?? new Date()).getTime();
  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caName = name(options.organization ?? 'telltale probe (local, throwaway)', options.commonName ?? 'telltale probe local CA');
  const caKeyId = keyId(ca.publicKey);
  const caCertPem = buildCertificate({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    issuerKeyId: caKeyId,
    ca: true,
    ...(options.permittedHosts ? { permittedHosts: options.permittedHosts } : {}),
    notBefore: new Date(now - 2 * DAY),
    notAfter: new Date(now + (options.validityDays ?? 30) * DAY),
  });
  return { caCertPem, caKeyPem: ca.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/**
 * An authority that signs leaf certificates with the given CA (leaves share one
 * key, minted once, to stay fast; each leaf lasts 7 days and is re-minted after a day).
 */
export function authorityFrom(material: AuthorityMaterial, organization = 'telltale (local)'): TlsAuthority {
  const caCert = new X509Certificate(material.caCertPem);
  const caKey = createPrivateKey(material.caKeyPem);
  const caKeyId = keyId(caCert.publicKey);
  const caName = subjectDer(caCert.raw);
  const caNotAfter = new Date(caCert.validTo).getTime();
  const leafKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const leafKeyPem = leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // A re-minted leaf is a new entry, so its TLS context (made on first use) is new too.
  const leaves = new Map<string, { certPem: string; keyPem: string; minted: number; context?: SecureContext }>();
  const leafFor = (hostname: string): { certPem: string; keyPem: string; context?: SecureContext } => {
    const host = hostname.toLowerCase();
    const now = Date.now();
    let leaf = leaves.get(host);
    if (!leaf || now - leaf.minted > LEAF_REMINT_MS) {
      const certPem = buildCertificate({
        // An IP address in the CN would be checked against DNS name constraints (OpenSSL
        // treats a CN that looks like a host name as one): IP leaves are named in words.
        subject: name(organization, isIP(host) ? `IP address ${host}` : host),
        issuer: caName,
        publicKey: leafKey.publicKey,
        signingKey: caKey,
        issuerKeyId: caKeyId,
        ca: false,
        altName: host,
        notBefore: new Date(now - 2 * DAY),
        // Never past the CA's own end (a client would reject the chain).
        notAfter: new Date(Math.min(now + LEAF_DAYS * DAY, caNotAfter)),
      });
      leaf = { certPem: certPem + material.caCertPem, keyPem: leafKeyPem, minted: now };
      leaves.set(host, leaf);
    }
    return leaf;
  };
  return {
    caCertPem: material.caCertPem,
    leafFor,
    contextFor(hostname: string): SecureContext {
      const leaf = leafFor(hostname);
      return (leaf.context ??= createSecureContext({ cert: leaf.certPem, key: leaf.keyPem }));
    },
  };
}

/** Creates a fresh in-memory CA (probe: one per run, unconstrained, 30 days). */
export function createTlsAuthority(options: AuthorityOptions = {}): TlsAuthority {
  return authorityFrom(createAuthorityMaterial(options), options.organization ?? 'telltale probe (local, throwaway)');
}
