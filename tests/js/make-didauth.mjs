// Make the DID authentication the Learner Credential Wallet sends to an exchange, with the
// wallet's own libraries (@digitalcredentials/vc, ed25519-signature-2020,
// ed25519-verification-key-2020; app/lib/present.ts there): a fresh Ed25519 did:key holder
// signs an empty Verifiable Presentation for `authentication` with the challenge (and domain).
//   node make-didauth.mjs CHALLENGE [DOMAIN]
// Prints the signed presentation. Contexts come from the repository; nothing is fetched.
import * as vc from "@digitalcredentials/vc";
import { Ed25519VerificationKey2020 } from "@digitalcredentials/ed25519-verification-key-2020";
import { Ed25519Signature2020 } from "@digitalcredentials/ed25519-signature-2020";
import { contexts } from "./contexts.mjs";

const local = contexts();
async function documentLoader(url) {
  if (!local.has(url)) {
    throw new Error(`offline: ${url} is not available`);
  }
  return { contextUrl: null, documentUrl: url, document: local.get(url) };
}

const [challenge, domain] = process.argv.slice(2);
const key = await Ed25519VerificationKey2020.generate();
const fingerprint = key.fingerprint();
key.controller = `did:key:${fingerprint}`;
key.id = `${key.controller}#${fingerprint}`;
const presentation = vc.createPresentation({ holder: key.controller });
const signed = await vc.signPresentation({
  presentation, suite: new Ed25519Signature2020({ key }), challenge, domain, documentLoader,
});
process.stdout.write(JSON.stringify(signed));
