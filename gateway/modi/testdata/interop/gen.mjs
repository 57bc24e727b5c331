// gen.mjs: tokens and headers made by an independent JOSE implementation (npm jose, pinned in
// package.json) for the Go side to verify: jose-vectors.json. Public data only: every private key
// lives in memory or in a temporary directory removed before the script ends.
//
//   cd gateway/modi/testdata/interop && npm ci && node gen.mjs > jose-vectors.json
//
// The X.509 chain (root, intermediate, leaf) is made with the openssl command line. The vectors
// record their generation time: the Go test verifies them at that fixed time.
import { generateKeyPair, exportJWK, calculateJwkThumbprint, SignJWT, importPKCS8 } from "jose";
import { createHash, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sha256 = (s) => createHash("sha256").update(s).digest();
const digestHeader = (body) => "SHA-256=" + sha256(body).toString("base64");
const hex = (s) => sha256(s).toString("hex");
const b64url = (buf) => buf.toString("base64url");

// The X.509 chain (root, intermediate, leaf) for INTEGRITY_REST_01, made by openssl first, so the
// certificates are valid at the vectors' time.
const dir = mkdtempSync(join(tmpdir(), "interop-"));
let chain, rootPEM, leafKey;
try {
  const ossl = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  writeFileSync(join(dir, "ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  writeFileSync(join(dir, "leaf.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n");
  ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-subj", "/CN=Interop Test Root", "-days", "3650",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=Interop Test Intermediate");
  ossl("x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "int.pem", "-days", "3650", "-extfile", "ca.ext");
  ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=ente.example/O=Ente di prova");
  ossl("x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "3650", "-extfile", "leaf.ext");
  const der = (file) => readFileSync(join(dir, file), "utf8").replace(/-----[A-Z ]+-----|\s/g, "");
  chain = [der("leaf.pem"), der("int.pem")];
  rootPEM = readFileSync(join(dir, "root.pem"), "utf8");
  leafKey = await importPKCS8(readFileSync(join(dir, "leaf.key"), "utf8"), "RS256");
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const now = Math.floor(Date.now() / 1000);

const env = {
  issuer: "uat.interop.pagopa.it",
  audience: "https://api.welfaregov.example/rest/siuss/v1",
  assertionAudience: "auth.uat.interop.pagopa.it/client-assertion",
  url: "https://api.welfaregov.example/rest/siuss/v1/prestazioni",
  method: "POST",
  clientId: "6b2f1c4e-3d5a-4e6f-8a7b-9c0d1e2f3a4b",
  purposeId: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
  consumerId: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
  producerId: "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f",
  eserviceId: "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f8a",
  descriptorId: "5e6f7a8b-9c0d-4e1f-8a3b-4c5d6e7f8a9b",
};

async function rsaKey() {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(publicKey);
  jwk.kid = await calculateJwkThumbprint(jwk, "sha256");
  return { privateKey, jwk };
}

const pdnd = await rsaKey(); // PDND's voucher key
const consumer = await rsaKey(); // the consumer's key registered on PDND (ModI tokens)
const dpop = await generateKeyPair("ES256", { extractable: true });
const dpopJwk = await exportJWK(dpop.publicKey);
const dpopJkt = await calculateJwkThumbprint(dpopJwk, "sha256");

const sign = (payload, header, key) => new SignJWT(payload).setProtectedHeader(header).sign(key);

// A tracking evidence (AUDIT_REST_02): iss, aud, iat, nbf, exp, jti, purposeId, 13-digit dnonce, agreed claims.
const evidence = await sign(
  { iss: env.clientId, aud: env.audience, iat: now, nbf: now, exp: now + 600, jti: randomUUID(), purposeId: env.purposeId,
    dnonce: 4815162342108, userID: "operatore-7", userLocation: "postazione-3", LoA: "LoA3" },
  { alg: "RS256", kid: consumer.jwk.kid, typ: "JWT" }, consumer.privateKey);

// Vouchers as PDND issues them: typ at+jwt, use sig, kid; aud comma-joined; nbf = iat.
const voucherClaims = (extra) => ({
  jti: randomUUID(), iss: env.issuer, aud: env.audience + ",https://other.example/v1", client_id: env.clientId, sub: env.clientId,
  iat: now, nbf: now, exp: now + 600, purposeId: env.purposeId, producerId: env.producerId, consumerId: env.consumerId,
  eserviceId: env.eserviceId, descriptorId: env.descriptorId, ...extra,
});
const voucherHeader = { alg: "RS256", use: "sig", typ: "at+jwt", kid: pdnd.jwk.kid };
const voucher = await sign(voucherClaims({ digest: { alg: "SHA256", value: hex(evidence) } }), voucherHeader, pdnd.privateKey);
const dpopVoucher = await sign(voucherClaims({ digest: { alg: "SHA256", value: hex(evidence) }, cnf: { jkt: dpopJkt } }), voucherHeader, pdnd.privateKey);
const expiredVoucher = await sign(voucherClaims({ iat: now - 4000, nbf: now - 4000, exp: now - 3400, digest: { alg: "SHA256", value: hex(evidence) } }), voucherHeader, pdnd.privateKey);
const newlineVoucher = await sign(voucherClaims({ digest: { alg: "SHA256", value: hex(evidence + "\n") } }), voucherHeader, pdnd.privateKey);

// The client assertion: exactly PDND's whitelist.
const assertion = await sign(
  { iss: env.clientId, sub: env.clientId, aud: env.assertionAudience, jti: randomUUID(), iat: now, exp: now + 60, purposeId: env.purposeId,
    digest: { alg: "SHA256", value: hex(evidence) } },
  { alg: "RS256", kid: consumer.jwk.kid, typ: "JWT" }, consumer.privateKey);
const assertionNbf = await sign(
  { iss: env.clientId, sub: env.clientId, aud: env.assertionAudience, jti: randomUUID(), iat: now, nbf: now, exp: now + 60, purposeId: env.purposeId },
  { alg: "RS256", kid: consumer.jwk.kid, typ: "JWT" }, consumer.privateKey);

// INTEGRITY_REST_02: Digest over the exact body, Agid-JWT-Signature with signed_headers.
const body = JSON.stringify({ codiceFiscale: "RSSMRA80A01H501U", prestazione: "assegno di inclusione", importo: "500.00" });
const contentType = "application/json";
const integrity = async (key, header, digest) => sign(
  { iss: env.clientId, sub: env.clientId, aud: env.audience, iat: now, nbf: now, exp: now + 60, jti: randomUUID(),
    signed_headers: [{ digest }, { "content-type": contentType }] }, header, key);
const signature = await integrity(consumer.privateKey, { alg: "RS256", kid: consumer.jwk.kid, typ: "JWT" }, digestHeader(body));
// INTEGRITY_REST_01: the same signature with the x5c chain (leaf, intermediate).
const x5cSignature = await integrity(leafKey, { alg: "RS256", typ: "JWT", x5c: chain }, digestHeader(body));

// DPoP proof for the call: htm, htu, iat, jti, ath = base64url(SHA-256(voucher)); jwk in the header.
const proof = async (token) => sign({ htm: env.method, htu: env.url, iat: now, jti: randomUUID(), ath: b64url(sha256(token)) },
  { alg: "ES256", typ: "dpop+jwt", jwk: dpopJwk }, dpop.privateKey);

const headers = (auth, extra) => ({ Authorization: auth, "Content-Type": contentType, Digest: digestHeader(body), ...extra });
const bearer = headers("Bearer " + voucher, { "Agid-JWT-Signature": signature, "Agid-JWT-TrackingEvidence": evidence });
const vectors = [
  { name: "request/bearer-integrity-audit", profile: "pdnd", headers: bearer, body, expect: "valid" },
  { name: "request/dpop", profile: "dpop", body, expect: "valid",
    headers: headers("DPoP " + dpopVoucher, { DPoP: await proof(dpopVoucher), "Agid-JWT-Signature": signature, "Agid-JWT-TrackingEvidence": evidence }) },
  { name: "request/x5c-integrity", profile: "x509", body, expect: "valid", headers: headers("Bearer " + voucher, { "Agid-JWT-Signature": x5cSignature }) },
  { name: "request/body-tampered", profile: "pdnd", headers: bearer, body: body.replace("500.00", "900.00"), expect: "integrity.digest_mismatch" },
  { name: "request/voucher-expired", profile: "pdnd", body, expect: "voucher.expired",
    headers: headers("Bearer " + expiredVoucher, { "Agid-JWT-Signature": signature, "Agid-JWT-TrackingEvidence": evidence }) },
  { name: "request/evidence-digest-with-newline", profile: "pdnd", body, expect: "audit.digest_mismatch",
    headers: headers("Bearer " + newlineVoucher, { "Agid-JWT-Signature": signature, "Agid-JWT-TrackingEvidence": evidence }) },
  { name: "request/dpop-ath-of-another-voucher", profile: "dpop", body, expect: "dpop.ath_mismatch",
    headers: headers("DPoP " + dpopVoucher, { DPoP: await proof(voucher), "Agid-JWT-Signature": signature, "Agid-JWT-TrackingEvidence": evidence }) },
  { name: "assertion/whitelist", assertion, expect: "valid" },
  { name: "assertion/nbf", assertion: assertionNbf, expect: "8005" },
];

// Thumbprints (RFC 7638) and Digest values as jose and node compute them, for agreement.
const thumbprints = [pdnd.jwk, consumer.jwk, dpopJwk].map((jwk) => ({ jwk: { ...jwk, kid: undefined }, thumbprint: jwk.kid ?? dpopJkt }));
const bodies = ['{"testo": "ciao mondo"}', '{"testo": "Ciao mondo"}', '{"hello": "world"}', "", body];

process.stdout.write(JSON.stringify({
  generator: `jose ${JSON.parse(readFileSync(new URL("./node_modules/jose/package.json", import.meta.url))).version}, node ${process.version}`,
  time: now,
  env,
  pdndJwks: { keys: [pdnd.jwk] },
  consumerJwks: { keys: [consumer.jwk] },
  dpopJkt,
  x5cRoot: rootPEM,
  thumbprints,
  digests: bodies.map((b) => ({ body: b, digest: digestHeader(b), auditHex: hex(b) })),
  vectors,
}, null, 2) + "\n");
