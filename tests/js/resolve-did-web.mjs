// Resolve a DET Registry's did:web with resolvers we did not write — the Decentralized
// Identity Foundation's did-resolver + web-did-resolver (--resolver=dif), or the Digital
// Credentials Consortium's @digitalcredentials/did-method-web, the driver in the Learner
// Credential Wallet's and VerifierPlus's stack (--resolver=dcc) — against the registry serving
// over HTTPS, and verify its credentials through it as a wallet would:
//   node resolve-did-web.mjs --resolver=dif|dcc <credential URL or DID>...
// Each credential is fetched over HTTPS; its issuer's DID is resolved by the resolver (the
// document URL is the resolver's own reading of the DID: /.well-known/did.json, or /did.json
// after a path); its proof.verificationMethod is dereferenced by it (the DCC driver's own
// dereferencing; for the DIF resolver, looked up in the resolved document), and Digital
// Bazaar's @digitalbazaar/vc + eddsa-rdfc-2022 verify the credential with every did: URL
// answered by that resolver (so the assertionMethod check is the library's, against the
// resolved document) and the status list fetched over HTTPS. Only the JSON-LD contexts are
// local (the repository's). TLS is checked as usual: trust the test's certificate authority
// with NODE_EXTRA_CA_CERTS. Prints {"did", "resolution", "credentials": [...]}; exits 0
// either way.
import { contexts } from "./contexts.mjs";
import { Resolver } from "did-resolver";
import { getResolver } from "web-did-resolver";
import { driver as dccDidWeb } from "@digitalcredentials/did-method-web";
import * as vc from "@digitalbazaar/vc";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { cryptosuite } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import { checkStatus } from "@digitalbazaar/vc-bitstring-status-list";

const local = contexts();

const [choice, ...targets] = process.argv.slice(2);
const dif = new Resolver(getResolver());
const dcc = dccDidWeb();

// {didDocument, error, message, contentType} of a DID; a verification method of a DID URL.
const resolvers = {
  "--resolver=dif": {
    async resolve(did) {
      const { didDocument, didResolutionMetadata: meta } = await dif.resolve(did);
      return { didDocument, error: meta.error ?? null, message: meta.message ?? null,
        contentType: meta.contentType ?? null };
    },
    async dereference(url) {
      const { didDocument } = await this.resolve(url.split("#")[0]);
      return didDocument?.verificationMethod?.find((m) => m.id === url) ?? null;
    },
  },
  "--resolver=dcc": {
    async resolve(did) {
      try {
        return { didDocument: await dcc.get({ did }), error: null, message: null,
          contentType: null };
      } catch (error) {
        return { didDocument: null, error: "notFound", message: `${error} (${error?.cause})` };
      }
    },
    async dereference(url) {
      return dcc.get({ url });
    },
  },
};
const resolver = resolvers[choice];
if (resolver === undefined) {
  throw new Error("the first argument is --resolver=dif or --resolver=dcc");
}
const resolutions = new Map();

async function resolveDid(did) {
  if (!resolutions.has(did)) {
    resolutions.set(did, await resolver.resolve(did));
  }
  return resolutions.get(did);
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return response.json();
}

async function documentLoader(url) {
  if (local.has(url)) {
    return { contextUrl: null, documentUrl: url, document: local.get(url) };
  }
  if (url.startsWith("did:")) {
    const [did, fragment] = url.split("#");
    const { didDocument, message } = await resolveDid(did);
    if (!didDocument) {
      throw new Error(`${did} did not resolve: ${message}`);
    }
    if (fragment === undefined) {
      return { contextUrl: null, documentUrl: url, document: didDocument };
    }
    const method = await resolver.dereference(url);
    if (!method) {
      throw new Error(`${did}'s document has no verification method ${url}`);
    }
    return { contextUrl: null, documentUrl: url,
      document: { "@context": didDocument["@context"], ...method } };
  }
  if (url.startsWith("https://")) {
    return { contextUrl: null, documentUrl: url, document: await fetchJson(url) };
  }
  throw new Error(`refused: ${url}`);
}

const suite = new DataIntegrityProof({ cryptosuite });
const output = { did: null, resolution: null, credentials: [] };
for (const url of targets) {
  if (url.startsWith("did:")) { // a DID alone: resolve it, nothing more
    const { didDocument, error, message } = await resolveDid(url);
    output.did = url;
    output.resolution = { error, message, id: didDocument?.id ?? null };
    continue;
  }
  const entry = { url, method: null, inAssertionMethod: false, verified: false, status: null,
    error: null };
  output.credentials.push(entry);
  try {
    const credential = await fetchJson(url);
    const did = typeof credential.issuer === "string" ? credential.issuer : credential.issuer.id;
    const { didDocument, error, message, contentType } = await resolveDid(did);
    output.did = did;
    output.resolution = { error, message, contentType, id: didDocument?.id ?? null,
      assertionMethod: didDocument?.assertionMethod ?? [] };
    entry.method = credential.proof.verificationMethod;
    const method = await resolver.dereference(entry.method);
    entry.inAssertionMethod = method?.id === entry.method
      && (didDocument.assertionMethod ?? []).includes(entry.method);
    const checked = await vc.verifyCredential({
      credential, suite, documentLoader,
      checkStatus: async (options) => checkStatus({ ...options, suite }),
    });
    entry.verified = checked.verified;
    entry.status = checked.statusResult?.results?.[0]?.status ?? null;
    if (!checked.verified) {
      const errors = [checked.error, ...(checked.results ?? []).map((r) => r.error)]
        .filter(Boolean);
      entry.error = errors.map((e) => e.message ?? String(e)).join("; ") || "not verified";
    }
  } catch (error) {
    entry.error = String(error?.cause ?? error);
  }
}
process.stdout.write(JSON.stringify(output));
