// Verify a DET Registry Open Badges credential as a wallet or an employer's verifier would, with
// Digital Bazaar's @digitalbazaar/vc + eddsa-rdfc-2022 cryptosuite and the Bitstring Status List
// library, offline: node verify-credential.mjs <credential.json> <did.json> [<status-list.json>]
// The JSON-LD contexts come from the repository (registry/signing/contexts), the DID document
// and status list from the files given; anything else is refused (no network). Prints
// {"verified": bool, "status": bool|null, "error": str|null}; exits 0 either way.
import { contexts, read } from "./contexts.mjs";
import * as vc from "@digitalbazaar/vc";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { cryptosuite } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";
import { checkStatus } from "@digitalbazaar/vc-bitstring-status-list";

const documents = contexts();

const [credentialPath, didPath, statusPath] = process.argv.slice(2);
const credential = read(credentialPath);
const did = read(didPath);
documents.set(did.id, did);
for (const method of did.verificationMethod) {
  documents.set(method.id, { "@context": did["@context"], ...method });
}
if (statusPath) {
  const list = read(statusPath);
  documents.set(list.id, list);
}

async function documentLoader(url) {
  const [base] = url.split("#");
  const document = documents.get(url) ?? documents.get(base);
  if (document === undefined) {
    throw new Error(`offline: ${url} is not available`);
  }
  return { contextUrl: null, documentUrl: url, document };
}

const suite = new DataIntegrityProof({ cryptosuite });
const result = { verified: false, status: null, error: null };
try {
  const checked = await vc.verifyCredential({
    credential, suite, documentLoader,
    // Without a status list only the proof is checked.
    checkStatus: statusPath ? async (options) => checkStatus({ ...options, suite })
      : async () => ({ verified: true }),
  });
  result.verified = checked.verified;
  if (checked.statusResult) {
    result.status = checked.statusResult.results?.[0]?.status ?? null;
  }
  if (!checked.verified) {
    const errors = [checked.error, ...(checked.results ?? []).map((r) => r.error)]
      .filter(Boolean);
    result.error = errors.map((e) => e.message ?? String(e)).join("; ") || "not verified";
  }
} catch (error) {
  result.error = String(error);
}
// Keep Ed25519Multikey referenced: the cryptosuite resolves Multikeys through it.
void Ed25519Multikey;
process.stdout.write(JSON.stringify(result));
