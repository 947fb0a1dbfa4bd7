// Verify a DET Registry certificate token with `jose` ≥ 6 against a JWKS, as a verifier in
// the field would: node verify.mjs <jwks.json> <token>. Prints the payload; exits 1 if invalid.
import { readFileSync } from "node:fs";
import { compactVerify, createLocalJWKSet } from "jose";

const [jwksPath, token] = process.argv.slice(2);
const jwks = createLocalJWKSet(JSON.parse(readFileSync(jwksPath, "utf8")));
try {
  const { payload, protectedHeader } = await compactVerify(token, jwks, { algorithms: ["Ed25519"] });
  process.stdout.write(JSON.stringify({ header: protectedHeader, payload: new TextDecoder().decode(payload) }));
} catch (error) {
  process.stderr.write(String(error));
  process.exit(1);
}
