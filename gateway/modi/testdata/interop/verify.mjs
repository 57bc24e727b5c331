// verify.mjs: npm jose verifies tokens and headers made by the Go code (go-vectors.json, or the
// fresh ones the Go test writes) and prints a verdict per vector:
//
//   node verify.mjs go-vectors.json > go-verdicts.json
//
// Each check is what a producer or PDND does with a generic JOSE library plus the PDND/ModI rules
// written out: the signature with a pinned algorithm and the right key, typ, iss, exp/nbf at the
// vectors' time, aud (PDND's voucher aud is one comma-joined string: jose compares a string aud
// whole, so it is split here, pdnd-modi.md §9.2), the client-assertion whitelist and digest shape,
// Digest = SHA-256 of the body, signed_headers, the tracking evidence's hash in the voucher, DPoP
// (embedded jwk, ath, cnf.jkt), the x5c chain, RFC 7638 thumbprints.
import { jwtVerify, importJWK, importX509, EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader } from "jose";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const at = new Date(input.time * 1000);
const sha256 = (s) => createHash("sha256").update(s).digest();
const common = { currentDate: at, clockTolerance: 5 };

const keyOf = async (jwks, kid) => {
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error(`kid ${kid} not in the key set`);
  return importJWK(jwk, "RS256");
};

function audContains(aud, want) {
  const list = Array.isArray(aud) ? aud : String(aud).split(",");
  if (!list.includes(want)) throw new Error(`aud ${aud} does not contain ${want}`);
}

async function voucher(token) {
  const { kid } = decodeProtectedHeader(token);
  const { payload } = await jwtVerify(token, await keyOf(input.pdndJwks, kid), { ...common, algorithms: ["RS256"], typ: "at+jwt", issuer: input.env.issuer });
  audContains(payload.aud, input.env.audience);
  for (const c of ["client_id", "sub", "jti", "purposeId", "nbf", "iat", "exp"]) if (payload[c] === undefined) throw new Error(`no ${c}`);
  if (payload.sub !== payload.client_id) throw new Error("sub is not client_id");
  return payload;
}

async function assertion(token) {
  const header = decodeProtectedHeader(token);
  for (const m of Object.keys(header)) if (!["kid", "alg", "typ"].includes(m)) throw new Error(`header member ${m} not allowed`);
  if (!/^[A-Za-z0-9_-]{43}$/.test(header.kid)) throw new Error("kid is not a thumbprint");
  const { payload } = await jwtVerify(token, await keyOf(input.consumerJwks, header.kid), { ...common, algorithms: ["RS256"], audience: input.env.assertionAudience });
  const allowed = ["iss", "sub", "aud", "jti", "iat", "exp", "purposeId", "digest"];
  for (const c of Object.keys(payload)) if (!allowed.includes(c)) throw new Error(`claim ${c} not allowed`);
  if (payload.iss !== input.env.clientId || payload.sub !== input.env.clientId) throw new Error("iss/sub are not the client id");
  if (typeof payload.iat !== "number" || typeof payload.exp !== "number") throw new Error("iat/exp are not numbers");
  const d = payload.digest;
  if (d && (Object.keys(d).length !== 2 || d.alg !== "SHA256" || !/^[0-9a-f]{64}$/.test(d.value))) throw new Error("digest shape");
}

async function integrity(token, headers, body) {
  const header = decodeProtectedHeader(token);
  let key;
  if (header.x5c) {
    const pem = (b64) => `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
    const certs = header.x5c.map((c) => new X509Certificate(pem(c)));
    const root = new X509Certificate(input.x5cRoot);
    const chain = [...certs, root];
    for (let i = 0; i + 1 < chain.length; i++) {
      if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) throw new Error(`x5c[${i}] is not issued by the next certificate`);
      if (at < new Date(chain[i].validFrom) || at > new Date(chain[i].validTo)) throw new Error(`x5c[${i}] is not valid at the vectors' time`);
    }
    key = await importX509(pem(header.x5c[0]), "RS256");
  } else {
    key = await keyOf(input.consumerJwks, header.kid);
  }
  const { payload } = await jwtVerify(token, key, { ...common, algorithms: ["RS256"], audience: input.env.audience });
  if (!payload.jti) throw new Error("no jti");
  if (!Array.isArray(payload.signed_headers)) throw new Error("signed_headers is not an array");
  const signed = Object.fromEntries(payload.signed_headers.map((o) => { if (Object.keys(o).length !== 1) throw new Error("signed_headers entry"); return Object.entries(o)[0]; }));
  const digest = "SHA-256=" + sha256(body).toString("base64");
  if (headers.Digest !== digest) throw new Error(`Digest ${headers.Digest} is not the body's ${digest}`);
  if (signed.digest !== headers.Digest) throw new Error("the signed digest is not the Digest header");
  if (headers["Content-Type"] && signed["content-type"] !== headers["Content-Type"]) throw new Error("content-type not signed as sent");
}

async function request(v) {
  const [scheme, tok] = v.headers.Authorization.split(" ");
  const vc = await voucher(tok);
  if (v.headers["Agid-JWT-Signature"]) await integrity(v.headers["Agid-JWT-Signature"], v.headers, v.body);
  const ev = v.headers["Agid-JWT-TrackingEvidence"];
  if (ev) {
    const { kid } = decodeProtectedHeader(ev);
    const { payload } = await jwtVerify(ev, await keyOf(input.consumerJwks, kid), { ...common, algorithms: ["RS256"], audience: input.env.audience });
    if (payload.purposeId !== vc.purposeId) throw new Error("evidence purposeId is not the voucher's");
    if (!vc.digest || vc.digest.alg !== "SHA256" || vc.digest.value !== sha256(ev).toString("hex")) throw new Error("the voucher digest is not the evidence's hash");
  }
  if (scheme === "DPoP") {
    const { payload, protectedHeader } = await jwtVerify(v.headers.DPoP, EmbeddedJWK, { ...common, algorithms: ["ES256", "RS256"], typ: "dpop+jwt" });
    if (payload.htm !== input.env.method || payload.htu !== input.env.url) throw new Error("htm/htu");
    if (payload.ath !== sha256(tok).toString("base64url")) throw new Error("ath is not the voucher's hash");
    if ((await calculateJwkThumbprint(protectedHeader.jwk, "sha256")) !== vc.cnf?.jkt) throw new Error("the proof key is not cnf.jkt");
  }
}

const verdicts = {};
for (const v of input.vectors) {
  try {
    if (v.kind === "voucher") await voucher(v.token);
    else if (v.kind === "assertion") await assertion(v.token);
    else if (v.kind === "request") await request(v);
    else if (v.kind === "thumbprint") {
      const got = await calculateJwkThumbprint(v.jwk, "sha256");
      if (got !== v.thumbprint) throw new Error(`thumbprint ${got}, Go says ${v.thumbprint}`);
    } else if (v.kind === "digest") {
      const got = "SHA-256=" + sha256(v.body).toString("base64");
      if (got !== v.digest) throw new Error(`digest ${got}, Go says ${v.digest}`);
    } else throw new Error(`unknown kind ${v.kind}`);
    verdicts[v.name] = "valid";
  } catch (e) {
    verdicts[v.name] = "invalid: " + e.message;
  }
}
const version = JSON.parse(readFileSync(new URL("./node_modules/jose/package.json", import.meta.url))).version;
process.stdout.write(JSON.stringify({ verifier: `jose ${version}, node ${process.version}`, verdicts }, null, 2) + "\n");
