// OpenSSL cipher-list strings (`--ssl-ciphers`, ciphers(1)) evaluated against the TLS 1.2 cipher
// suites our TLS engine can negotiate. Upstream hands the string to SSL_CTX_set_cipher_list;
// Deno's node:tls ignores a cipher list, so stream-ssl enforces the result itself by refusing a
// TLS 1.2 connection whose negotiated suite is not in it (TLS 1.3 suites are outside the cipher
// list in OpenSSL too). The grammar is OpenSSL's: elements split by ':', ',', ';' or spaces, each
// optionally prefixed by '!' (remove for good), '-' (remove) or '+' (reorder), aliases joined by
// '+' meaning "all of these", unknown names ignored, '@' directives ignored. Pure.

interface Suite {
  /** OpenSSL's name, as getCipher().name reports it. */
  name: string;
  aliases: readonly string[];
}

const COMMON = ["ALL", "DEFAULT", "HIGH", "TLSv1.2", "kECDHE", "kEECDH", "ECDHE", "EECDH", "AEAD"];

function suite(name: string, ...aliases: string[]): Suite {
  return { name, aliases: [...COMMON, ...aliases] };
}

/** Every TLS 1.2 suite the engine offers, with the OpenSSL aliases that select it. */
const SUITES: readonly Suite[] = [
  suite("ECDHE-ECDSA-AES256-GCM-SHA384", "aECDSA", "ECDSA", "AES", "AESGCM", "AES256", "SHA384"),
  suite("ECDHE-ECDSA-AES128-GCM-SHA256", "aECDSA", "ECDSA", "AES", "AESGCM", "AES128", "SHA256"),
  suite("ECDHE-ECDSA-CHACHA20-POLY1305", "aECDSA", "ECDSA", "CHACHA20", "SHA256"),
  suite("ECDHE-RSA-AES256-GCM-SHA384", "aRSA", "AES", "AESGCM", "AES256", "SHA384"),
  suite("ECDHE-RSA-AES128-GCM-SHA256", "aRSA", "AES", "AESGCM", "AES128", "SHA256"),
  suite("ECDHE-RSA-CHACHA20-POLY1305", "aRSA", "CHACHA20", "SHA256"),
];

/** Aliases OpenSSL knows that select none of our suites; named so they are not "unknown". */
const EMPTY_ALIASES = new Set([
  "COMPLEMENTOFALL",
  "COMPLEMENTOFDEFAULT",
  "MEDIUM",
  "LOW",
  "EXPORT",
  "EXP",
  "eNULL",
  "NULL",
  "aNULL",
  "MD5",
  "SHA1",
  "SHA",
  "RSA",
  "kRSA",
  "DH",
  "kDHE",
  "kEDH",
  "DHE",
  "EDH",
  "ADH",
  "AECDH",
  "PSK",
  "SRP",
  "RC4",
  "DES",
  "3DES",
  "CAMELLIA",
  "ARIA",
  "SEED",
  "IDEA",
  "CCM",
  "AESCCM",
  "AESCCM8",
  "SSLv3",
  "TLSv1",
  "TLSv1.0",
  "aDSS",
  "DSS",
]);

function matching(alias: string): Set<string> | undefined {
  const exact = SUITES.find((s) => s.name === alias);
  if (exact) return new Set([exact.name]);
  const selected = SUITES.filter((s) => s.aliases.includes(alias)).map((s) => s.name);
  if (selected.length > 0) return new Set(selected);
  return EMPTY_ALIASES.has(alias) ? new Set() : undefined;
}

/**
 * The suites `list` selects, or undefined when it selects none (SSL_CTX_set_cipher_list's "no
 * cipher match", after which upstream keeps the previous list).
 */
export function evaluateCipherList(list: string): Set<string> | undefined {
  const chosen = new Set<string>();
  const killed = new Set<string>();
  for (const element of list.split(/[:, ;]+/)) {
    if (element === "" || element.startsWith("@")) continue;
    const op = "!-+".includes(element[0] ?? "") ? element[0] : "";
    const body = op ? element.slice(1) : element;
    let selected: Set<string> | undefined;
    for (const alias of body.split("+")) {
      const suites = matching(alias);
      if (!suites) {
        selected = undefined;
        break;
      }
      selected = selected ? new Set([...selected].filter((s) => suites.has(s))) : suites;
    }
    if (!selected) continue;
    for (const name of selected) {
      if (op === "!") {
        chosen.delete(name);
        killed.add(name);
      } else if (op === "-") chosen.delete(name);
      else if (op === "" && !killed.has(name)) chosen.add(name);
    }
  }
  return chosen.size > 0 ? chosen : undefined;
}

/** The list in effect before any --ssl-ciphers (upstream's "HIGH:!aNULL:!MD5"). */
export const DEFAULT_CIPHERS = "HIGH:!aNULL:!MD5";
