// Certificates as stream-ssl needs them: PEM blocks in and out, the subject and fingerprint texts
// upstream logs, whether a private key belongs to a certificate, and the verification of a peer's
// certificate chain against the trusted CA certificates. The TLS engine underneath (Deno's
// node:tls) is told to accept any peer certificate, so this file is where trust is decided: a
// peer is trusted only when its chain leads, signature by signature, to a certificate from the CA
// file, as OpenSSL's verification in upstream decides it. Pure apart from reading the clock.

import { Buffer } from "node:buffer";
import { type KeyObject, X509Certificate } from "node:crypto";

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order. Malformed base64 inside a block yields no block. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const body = (match[2] ?? "").replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length === 0) continue;
    blocks.push({ label: match[1] ?? "", der: new Uint8Array(Buffer.from(body, "base64")) });
  }
  return blocks;
}

/** A PEM text for `der` as PEM_write_X509 writes it: 64-column base64 between the markers. */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const base64 = Buffer.from(der).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Parses one DER certificate; undefined when it is not one. */
export function parseCertificate(der: Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(Buffer.from(der));
  } catch {
    return undefined;
  }
}

/** The certificates among `text`'s PEM blocks that parse. */
export function certificatesIn(text: string): X509Certificate[] {
  const certs: X509Certificate[] = [];
  for (const block of pemBlocks(text)) {
    if (block.label !== "CERTIFICATE" && block.label !== "TRUSTED CERTIFICATE") continue;
    const cert = parseCertificate(block.der);
    if (cert) certs.push(cert);
  }
  return certs;
}

/** The subject as X509_NAME_oneline prints it: "/C=US/ST=CA/O=.../CN=...". */
export function subjectOneline(cert: X509Certificate): string {
  return cert.subject.split("\n").map((part) => `/${part}`).join("");
}

/** The subject's common name, which upstream takes as the peer's identity (stream_set_peer_id). */
export function commonName(cert: X509Certificate): string | undefined {
  for (const part of cert.subject.split("\n")) {
    if (part.startsWith("CN=")) return part.slice(3);
  }
  return undefined;
}

/** The SHA-1 fingerprint as log_ca_cert prints it: lowercase hex pairs joined by colons. */
export function sha1Fingerprint(cert: X509Certificate): string {
  return cert.fingerprint.toLowerCase();
}

/** Whether `cert` names itself as its issuer (X509_check_issued(cert, cert)). */
export function isSelfIssued(cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(cert);
  } catch {
    return false;
  }
}

/** Whether `key` is the private key of `cert`'s public key. */
export function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  return Buffer.compare(a.raw, b.raw) === 0;
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function currentlyValid(cert: X509Certificate, now: number): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (Number.isNaN(from) || Number.isNaN(to)) return false;
  return from <= now && now <= to;
}

/** How many certificates a chain may climb before it is refused (OpenSSL's default depth). */
const MAX_DEPTH = 100;

/**
 * Why `chain` (the peer's certificate first, then what it sent along) is not trusted by
 * `anchors`, as X509_verify_cert_error_string words it; undefined when it is trusted. A chain is
 * trusted when the peer's own certificate is one of the anchors, or each certificate is signed by
 * the next (an intermediate must be a CA) until one is signed by an anchor; every certificate on
 * the way must be within its validity period.
 */
export function chainError(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  now = Date.now(),
): string | undefined {
  const leaf = chain[0];
  if (!leaf) return "unable to get local issuer certificate";
  const pool = chain.slice(1);
  let current = leaf;
  const used = new Set<X509Certificate>([leaf]);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (!currentlyValid(current, now)) {
      return Date.parse(current.validFrom) > now
        ? "certificate is not yet valid"
        : "certificate has expired";
    }
    if (anchors.some((anchor) => sameCertificate(anchor, current))) return undefined;
    const anchor = anchors.find((candidate) => signedBy(current, candidate));
    if (anchor) {
      return currentlyValid(anchor, now) ? undefined : "certificate has expired";
    }
    const next = pool.find((candidate) =>
      !used.has(candidate) && candidate.ca && signedBy(current, candidate)
    );
    if (!next) {
      return isSelfIssued(current)
        ? (current === leaf
          ? "self-signed certificate"
          : "self-signed certificate in certificate chain")
        : "unable to get local issuer certificate";
    }
    used.add(next);
    current = next;
  }
  return "certificate chain too long";
}
