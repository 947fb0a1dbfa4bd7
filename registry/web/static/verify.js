/*
 * Public certificate verification page (SPEC §5).
 *
 * The QR code opens /v#<token>; the fragment never reaches the server. This script:
 *   1. reads the token from location.hash (or a number / token / link typed into the form);
 *   2. always asks the registry: POST /api/verify → {status, certificate, reason};
 *   3. where the browser has WebCrypto Ed25519 (secure contexts only), also checks the
 *      token's signature against /.well-known/jwks.json and says whether it did;
 *   4. shows the registry's verdict; a local signature failure next to a VALID answer is
 *      shown as a "signature mismatch" warning, never as valid.
 *
 * Every field shown comes from the /api/verify answer, never from the token: for an INVALID
 * answer (certificate: null) no certificate field is shown at all. The token's payload is
 * decoded only to cross-check it against the registry's answer.
 *
 * Works under a strict CSP (script-src 'self'; no inline code, no eval, no style attributes):
 * the DOM is built with createElement/textContent only. No dependencies, no build step.
 */
"use strict";

(() => {
  const LANGS = ["kk", "ru", "en"];
  const STORAGE_KEY = "registry.verify.lang";
  const STATUSES = ["VALID", "REVOKED", "SUPERSEDED", "INVALID"];

  /** The issuer: the university the signing keys belong to. */
  const ISSUER = {
    kk: "Әл-Фараби атындағы Қазақ ұлттық университеті",
    ru: "Казахский национальный университет имени аль-Фараби",
    en: "Al-Farabi Kazakh National University",
  };

  /** RFC 8032 §7.1 test 1 (empty message): proves the browser's Ed25519 really verifies. */
  const ED25519_PROBE = {
    x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    sig: "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr0lv18FlbviRlUUFDjnoQCw",
  };

  const STRINGS = {
    kk: {
      pageTitle: "Сертификатты тексеру",
      title: "Сертификатты тексеру",
      registry: "Қашықтықтан оқыту сертификаттарының тізілімі",
      languages: "Тіл",
      resultHeading: "Нәтиже",
      intro: "Сертификаттағы QR кодты сканерлеңіз немесе төменде сертификат нөмірін енгізіңіз.",
      checking: "Тексерілуде…",
      VALID: "ЖАРАМДЫ",
      VALID_desc: "Бұл сертификат түпнұсқа және күшінде.",
      REVOKED: "КҮШІ ЖОЙЫЛҒАН",
      REVOKED_desc: "Университет бұл сертификаттың күшін жойды. Ол енді жарамсыз.",
      SUPERSEDED: "АУЫСТЫРЫЛҒАН",
      SUPERSEDED_desc: "Бұл сертификат жаңасымен ауыстырылды. Ол енді жарамсыз.",
      INVALID: "ЖАРАМСЫЗ",
      INVALID_desc:
        "Бұл осы тізілімнің түпнұсқа сертификаты емес немесе оны тексеру мүмкін болмады.",
      MISMATCH: "ҚОЛТАҢБА СӘЙКЕС ЕМЕС",
      MISMATCH_desc:
        "Тізілім «жарамды» деп жауап берді, бірақ қолтаңба осы браузерде расталмады. " +
        "Бұл сертификатқа сенбеңіз; университетке хабарласыңыз.",
      ERROR: "ТЕКСЕРІЛМЕДІ",
      ERROR_desc:
        "Тізілімге қосылу мүмкін болмады, сондықтан ештеңе тексерілмеді. " +
        "Байланысты тексеріп, қайталап көріңіз.",
      statusCode: "Мәртебе коды",
      reason: "Себебі",
      registryAnswer: "Тізілім жауабы",
      holder: "Иесі",
      course: "Курс",
      credits: "Кредиттер",
      issuedOn: "Берілген күні",
      number: "Сертификат нөмірі",
      issuer: "Берген ұйым",
      kid: "Университеттің қолтаңба кілті",
      kidHint: "Сертификаттың цифрлық қолтаңбасы жасалған, университет жариялаған кілт.",
      auditLog: "Ашық журнал",
      auditHint:
        "Берілген әр сертификат өзгертуге болмайтын ашық журналға жазылады; сілтеме осы " +
        "сертификаттың онда бар екенінің дәлелін ашады.",
      auditEntry: "№{index} жазба — журналда бар екенінің дәлелі",
      auditRecorded: "Университеттің ашық журналына жазылған (№{index} жазба)",
      auditWitnessed_one:
        "Университеттің ашық журналына жазылған (№{index} жазба), оны {n} тәуелсіз куәгер растады",
      auditWitnessed_other:
        "Университеттің ашық журналына жазылған (№{index} жазба), оны {n} тәуелсіз куәгер растады",
      auditProofHint:
        "Берілген әр сертификат өзгертуге болмайтын ашық журналға жазылады; тәуелсіз куәгерлер " +
        "журналдың бәріне бірдей тарихты көрсететінін тексереді. Сілтеме осы сертификаттың " +
        "дәлелін жүктеп береді, оны кез келген адам желіге қосылмай-ақ тексере алады.",
      replacedBy: "Орнына берілген",
      signature: "Қолтаңба",
      checkedAt: "Тексерілген уақыты",
      sigBrowser: "Қолтаңба осы браузерде тексерілді",
      sigRegistry: "Қолтаңбаны тек тізілім тексерді",
      sigMismatch: "Қолтаңба сәйкес емес: ол осы браузерде расталмады",
      lookupHeading: "Нөмір немесе сілтеме бойынша тексеру",
      lookupLabel: "Сертификат нөмірі немесе QR кодтағы сілтеме",
      lookupHint: "Сертификатта басылғандай 17 таңба; сызықша мен бос орын болуы мүмкін.",
      submit: "Тексеру",
      empty: "Сертификат нөмірін енгізіңіз немесе QR кодтағы сілтемені қойыңыз.",
      retry: "Қайталау",
      checkReplacement: "Жаңа сертификатты тексеру",
      walletHeading: "Цифрлық әмиянға қосу",
      walletIntro:
        "Бұл сертификат Open Badges 3.0 форматындағы цифрлық куәлік ретінде де бар " +
        "(credential.json файлы): оны әмиянда сақтап, кез келген жұмыс берушіге көрсетуге болады.",
      walletDownload: "Файлды жүктеп алу",
      walletUrl: "Куәліктің сілтемесі",
      walletSteps: [
        "Телефонға Digital Credentials Consortium-ның Learner Credential Wallet қолданбасын " +
          "орнатыңыз (App Store немесе Google Play).",
        "Әмиянда «Add credential» түймесін басып, жүктелген файлды таңдаңыз немесе жоғарыдағы " +
          "сілтемені қойыңыз.",
        "Жұмыс беруші файлды немесе сілтемені verifierplus.org сайтында да тексере алады.",
      ],
      aboutHeading: "Тексеру қалай жүреді",
      about:
        "QR кодта сертификат деректерінің цифрлық қолтаңбамен қорғалған көшірмесі бар. " +
        "Бұл бет университет тізілімінен сертификаттың бар-жоғын және әлі күшінде екенін " +
        "сұрайды; браузер мүмкіндік берсе, қолтаңбаны университеттің жарияланған кілтімен " +
        "өзі де тексереді.",
    },
    ru: {
      pageTitle: "Проверка сертификата",
      title: "Проверка сертификата",
      registry: "Реестр сертификатов дистанционного обучения",
      languages: "Язык",
      resultHeading: "Результат",
      intro: "Отсканируйте QR-код на сертификате или введите номер сертификата ниже.",
      checking: "Проверяем…",
      VALID: "ДЕЙСТВИТЕЛЕН",
      VALID_desc: "Сертификат подлинный и действует.",
      REVOKED: "ОТОЗВАН",
      REVOKED_desc: "Университет отозвал этот сертификат. Он больше не действителен.",
      SUPERSEDED: "ЗАМЕНЁН",
      SUPERSEDED_desc: "Этот сертификат заменён новым. Он больше не действителен.",
      INVALID: "НЕДЕЙСТВИТЕЛЕН",
      INVALID_desc: "Это не подлинный сертификат этого реестра, или его не удалось проверить.",
      MISMATCH: "ПОДПИСЬ НЕ СОВПАДАЕТ",
      MISMATCH_desc:
        "Реестр ответил «действителен», но подпись не подтвердилась в этом браузере. " +
        "Не полагайтесь на этот сертификат; свяжитесь с университетом.",
      ERROR: "НЕ ПРОВЕРЕНО",
      ERROR_desc:
        "Не удалось связаться с реестром, поэтому ничего не проверено. " +
        "Проверьте подключение и повторите попытку.",
      statusCode: "Код статуса",
      reason: "Причина",
      registryAnswer: "Ответ реестра",
      holder: "Владелец",
      course: "Курс",
      credits: "Кредиты",
      issuedOn: "Дата выдачи",
      number: "Номер сертификата",
      issuer: "Выдан",
      kid: "Ключ подписи университета",
      kidHint: "Опубликованный университетом ключ, которым сделана цифровая подпись сертификата.",
      auditLog: "Открытый журнал",
      auditHint:
        "Каждый выданный сертификат записывается в открытый журнал, который нельзя изменить; " +
        "ссылка открывает доказательство, что этот сертификат в нём есть.",
      auditEntry: "запись № {index} — доказательство, что она в журнале",
      auditRecorded: "Записан в открытый журнал университета (запись № {index})",
      auditWitnessed_one:
        "Записан в открытый журнал университета (запись № {index}); подтверждено {n} " +
        "независимым свидетелем",
      auditWitnessed_other:
        "Записан в открытый журнал университета (запись № {index}); подтверждено {n} " +
        "независимыми свидетелями",
      auditProofHint:
        "Каждый выданный сертификат записывается в открытый журнал, который нельзя изменить; " +
        "независимые свидетели проверяют, что журнал всем показывает одну и ту же историю. " +
        "По ссылке скачивается доказательство для этого сертификата — любой может проверить " +
        "его без подключения к сети.",
      replacedBy: "Заменён на",
      signature: "Подпись",
      checkedAt: "Проверено",
      sigBrowser: "Подпись проверена в этом браузере",
      sigRegistry: "Подпись проверена только реестром",
      sigMismatch: "Подпись не совпадает: она не подтвердилась в этом браузере",
      lookupHeading: "Проверка по номеру или ссылке",
      lookupLabel: "Номер сертификата или ссылка из QR-кода",
      lookupHint: "17 символов, как напечатано на сертификате; дефисы и пробелы допускаются.",
      submit: "Проверить",
      empty: "Введите номер сертификата или вставьте ссылку из QR-кода.",
      retry: "Повторить",
      checkReplacement: "Проверить новый сертификат",
      walletHeading: "Добавить в цифровой кошелёк",
      walletIntro:
        "Этот сертификат есть и в виде цифрового удостоверения Open Badges 3.0 (файл " +
        "credential.json): его можно хранить в кошельке и показывать любому работодателю.",
      walletDownload: "Скачать файл",
      walletUrl: "Ссылка на удостоверение",
      walletSteps: [
        "Установите на телефон приложение Learner Credential Wallet от Digital Credentials " +
          "Consortium (App Store или Google Play).",
        "В кошельке нажмите «Add credential» и выберите скачанный файл или вставьте ссылку " +
          "выше.",
        "Работодатель может проверить файл или ссылку и на сайте verifierplus.org.",
      ],
      aboutHeading: "Как проходит проверка",
      about:
        "QR-код содержит копию данных сертификата, защищённую цифровой подписью. " +
        "Страница спрашивает реестр университета, существует ли сертификат и действует ли он; " +
        "если браузер позволяет, она ещё и сама проверяет подпись опубликованным ключом " +
        "университета.",
    },
    en: {
      pageTitle: "Certificate verification",
      title: "Certificate verification",
      registry: "Registry of distance-education certificates",
      languages: "Language",
      resultHeading: "Result",
      intro: "Scan the QR code on the certificate, or enter the certificate number below.",
      checking: "Checking…",
      VALID: "VALID",
      VALID_desc: "This certificate is genuine and in force.",
      REVOKED: "REVOKED",
      REVOKED_desc: "The university has revoked this certificate. It is no longer valid.",
      SUPERSEDED: "SUPERSEDED",
      SUPERSEDED_desc: "This certificate has been replaced by a newer one. It is no longer valid.",
      INVALID: "INVALID",
      INVALID_desc:
        "This is not a genuine certificate of this registry, or it could not be verified.",
      MISMATCH: "SIGNATURE MISMATCH",
      MISMATCH_desc:
        "The registry answered “valid”, but the signature did not verify in this browser. " +
        "Do not rely on this certificate; contact the university.",
      ERROR: "NOT CHECKED",
      ERROR_desc:
        "The registry could not be reached, so nothing was verified. " +
        "Check your connection and try again.",
      statusCode: "Status code",
      reason: "Reason",
      registryAnswer: "Registry answer",
      holder: "Holder",
      course: "Course",
      credits: "Credits",
      issuedOn: "Issued on",
      number: "Certificate number",
      issuer: "Issued by",
      kid: "University's signing key",
      kidHint: "The key the university published and signed this certificate with.",
      auditLog: "Public log",
      auditHint:
        "Every certificate issued is written into a public log that cannot be altered; the " +
        "link opens the proof that this one is in it.",
      auditEntry: "entry {index} — proof that it is in the log",
      auditRecorded: "Recorded in the university's public log (entry {index})",
      auditWitnessed_one:
        "Recorded in the university's public log (entry {index}), confirmed by {n} " +
        "independent witness",
      auditWitnessed_other:
        "Recorded in the university's public log (entry {index}), confirmed by {n} " +
        "independent witnesses",
      auditProofHint:
        "Every certificate issued is written into a public log that cannot be altered; " +
        "independent witnesses check that the log shows everyone the same history. The link " +
        "downloads this certificate's proof, which anyone can check offline.",
      replacedBy: "Replaced by",
      signature: "Signature",
      checkedAt: "Checked at",
      sigBrowser: "Signature checked in this browser",
      sigRegistry: "Signature checked by the registry only",
      sigMismatch: "Signature mismatch: the signature did not verify in this browser",
      lookupHeading: "Check by number or link",
      lookupLabel: "Certificate number, or the link from the QR code",
      lookupHint: "17 characters, as printed on the certificate; hyphens and spaces are fine.",
      submit: "Verify",
      empty: "Enter a certificate number or paste the link from the QR code.",
      retry: "Try again",
      checkReplacement: "Verify the new certificate",
      walletHeading: "Add to a digital wallet",
      walletIntro:
        "This certificate also exists as an Open Badges 3.0 digital credential (the file " +
        "credential.json): keep it in a wallet and show it to any employer.",
      walletDownload: "Download the file",
      walletUrl: "The credential's link",
      walletSteps: [
        "Install the Digital Credentials Consortium's Learner Credential Wallet on your " +
          "phone (App Store or Google Play).",
        "In the wallet, tap “Add credential” and choose the downloaded file, or paste the " +
          "link above.",
        "An employer can also check the file or the link at verifierplus.org.",
      ],
      aboutHeading: "How the check works",
      about:
        "The QR code holds a digitally signed copy of the certificate's data. This page asks " +
        "the university's registry whether the certificate exists and is still in force; " +
        "where the browser can, it also checks the signature itself with the university's " +
        "published key.",
    },
  };

  const ICONS = {
    VALID: "✓",
    REVOKED: "✗",
    SUPERSEDED: "!",
    INVALID: "⚠",
    MISMATCH: "⚠",
    ERROR: "?",
  };

  const state = {
    lang: "en",
    view: { kind: "intro" }, // intro | busy | verdict | error
    seq: 0,
  };

  // ---------------------------------------------------------------------------------------
  // Language

  function t(key) {
    const table = STRINGS[state.lang] || STRINGS.en;
    return key in table ? table[key] : STRINGS.en[key];
  }

  function storedLanguage() {
    try {
      const lang = window.localStorage.getItem(STORAGE_KEY);
      return LANGS.includes(lang) ? lang : null;
    } catch (_) {
      return null; // storage disabled (privacy settings): fall back to the browser's languages
    }
  }

  function browserLanguage() {
    const preferred = navigator.languages && navigator.languages.length
      ? navigator.languages
      : [navigator.language || ""];
    for (const tag of preferred) {
      const primary = String(tag).toLowerCase().split("-")[0];
      if (LANGS.includes(primary)) return primary;
    }
    return "en";
  }

  function setLanguage(lang, remember) {
    state.lang = LANGS.includes(lang) ? lang : "en";
    document.documentElement.lang = state.lang;
    document.title = t("pageTitle");
    for (const el of document.querySelectorAll("[data-i18n]")) {
      el.textContent = t(el.dataset.i18n);
    }
    for (const el of document.querySelectorAll("[data-i18n-aria-label]")) {
      el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
    }
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
    }
    const issuer = document.getElementById("issuer-name");
    if (issuer) issuer.textContent = ISSUER[state.lang];
    const error = document.getElementById("lookup-error");
    if (error && !error.hidden && error.dataset.key) error.textContent = t(error.dataset.key);
    if (remember) {
      try {
        window.localStorage.setItem(STORAGE_KEY, state.lang);
      } catch (_) {
        /* not remembered; the choice still holds for this page */
      }
    }
    render();
  }

  // ---------------------------------------------------------------------------------------
  // Tokens and WebCrypto

  const B64URL = /^[A-Za-z0-9_-]+$/;

  function b64urlToBytes(text) {
    if (typeof text !== "string" || !B64URL.test(text) || text.length % 4 === 1) return null;
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    let binary;
    try {
      binary = atob(b64);
    } catch (_) {
      return null;
    }
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function jsonFromBytes(bytes) {
    if (!bytes) return null;
    try {
      const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      return value && typeof value === "object" && !Array.isArray(value) ? value : null;
    } catch (_) {
      return null;
    }
  }

  /** A compact JWS split into its parts, or null when it is not one. Nothing here is shown. */
  function parseToken(token) {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    const header = jsonFromBytes(b64urlToBytes(parts[0]));
    const payload = jsonFromBytes(b64urlToBytes(parts[1]));
    const signature = b64urlToBytes(parts[2]);
    if (!header || !payload || !signature) return null;
    return {
      header,
      payload,
      signature,
      signingInput: new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    };
  }

  let ed25519Probe = null;

  /** Whether this browser can verify Ed25519 signatures (feature test with a known vector). */
  function ed25519Available() {
    if (!ed25519Probe) {
      ed25519Probe = (async () => {
        try {
          if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) return false;
          const key = await crypto.subtle.importKey(
            "jwk",
            { kty: "OKP", crv: "Ed25519", x: ED25519_PROBE.x },
            { name: "Ed25519" },
            false,
            ["verify"],
          );
          return (
            (await crypto.subtle.verify(
              { name: "Ed25519" },
              key,
              b64urlToBytes(ED25519_PROBE.sig),
              new Uint8Array(0),
            )) === true
          );
        } catch (_) {
          return false;
        }
      })();
    }
    return ed25519Probe;
  }

  let keySet = null;

  function publishedKeys() {
    if (!keySet) {
      keySet = fetch("/.well-known/jwks.json", {
        credentials: "omit",
        headers: { Accept: "application/json" },
      })
        .then((response) => (response.ok ? response.json() : null))
        .then((jwks) => (jwks && Array.isArray(jwks.keys) ? jwks.keys : null))
        .catch(() => null)
        .then((keys) => {
          if (!keys) keySet = null; // try again next time
          return keys;
        });
    }
    return keySet;
  }

  /**
   * Check the token's signature in this browser.
   * "ok": verified with the published key named by its kid; "bad": it does not verify (or
   * names a key that is not published); "none": not checked here (no WebCrypto Ed25519, key
   * set unavailable, or not a JWS at all — the registry decides alone).
   */
  async function checkLocally(parsed) {
    if (!parsed) return "none";
    const { header } = parsed;
    if (header.alg !== "Ed25519" || typeof header.kid !== "string") return "none";
    if (!(await ed25519Available())) return "none";
    const keys = await publishedKeys();
    if (!keys) return "none";
    const jwk = keys.find((key) => key && key.kid === header.kid);
    if (!jwk) return "bad";
    if (
      jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string" ||
      (jwk.alg !== undefined && jwk.alg !== "Ed25519") ||
      (jwk.use !== undefined && jwk.use !== "sig")
    ) {
      return "bad";
    }
    try {
      const key = await crypto.subtle.importKey(
        "jwk",
        { kty: "OKP", crv: "Ed25519", x: jwk.x }, // public members only
        { name: "Ed25519" },
        false,
        ["verify"],
      );
      const ok = await crypto.subtle.verify(
        { name: "Ed25519" },
        key,
        parsed.signature,
        parsed.signingInput,
      );
      return ok === true ? "ok" : "bad";
    } catch (_) {
      return "bad";
    }
  }

  /** Does the signed payload say what the registry says? (Only compared, never shown.) */
  function payloadAgrees(payload, certificate) {
    return (
      payload.v === 1 &&
      payload.n === certificate.number &&
      payload.f === certificate.fullName &&
      payload.t === certificate.courseTitle &&
      payload.c === certificate.credits &&
      payload.d === certificate.issuedOn
    );
  }

  // ---------------------------------------------------------------------------------------
  // The registry

  async function askRegistry(body) {
    const response = await fetch("/api/verify", {
      method: "POST",
      credentials: "omit",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ ...body, lang: state.lang }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const answer = await response.json();
    if (!answer || !STATUSES.includes(answer.status)) throw new Error("unexpected answer");
    const reason = typeof answer.reason === "string" && answer.reason ? answer.reason : null;
    // The reason in each language, so that switching the language needs no new request.
    const reasons = {};
    if (answer.reasons && typeof answer.reasons === "object") {
      for (const lang of LANGS) {
        if (typeof answer.reasons[lang] === "string") reasons[lang] = answer.reasons[lang];
      }
    }
    let certificate = null;
    const given = answer.certificate;
    if (answer.status !== "INVALID" && given && typeof given === "object") certificate = given;
    // The key the registry checked the certificate with (absent from older registries).
    const kid = answer.status !== "INVALID" && typeof answer.kid === "string" ? answer.kid : null;
    // The issuance's entry in the tamper-evident log, and a same-origin link to its proof.
    const logIndex = certificate && Number.isInteger(answer.log_index) ? answer.log_index : null;
    const logProof = logIndex !== null && typeof answer.log_proof === "string" &&
      answer.log_proof.startsWith("/log/proof/inclusion?") ? answer.log_proof : null;
    // The certificate's own proof (c2sp.org/tlog-proof) and the witnesses that cosigned it.
    const proofUrl = logIndex !== null && typeof answer.certificate_proof === "string" &&
      /^\/certificates\/[0-9A-Z*~$=]+\/proof$/.test(answer.certificate_proof)
      ? answer.certificate_proof : null;
    const witnesses = proofUrl && Number.isInteger(answer.log_witnesses) &&
      answer.log_witnesses > 0 ? answer.log_witnesses : 0;
    // The certificate's Open Badges credential, for a wallet (only for one in force).
    const credentialUrl = certificate && typeof answer.credential_url === "string" &&
      /^https?:\/\/[^#?]+\/certificates\/[0-9A-Z*~$=]+\/credential\.json$/.test(
        answer.credential_url) ? answer.credential_url : null;
    return {
      status: answer.status, certificate, reason, reasons, kid, logIndex, logProof, credentialUrl,
      proofUrl, witnesses,
    };
  }

  // ---------------------------------------------------------------------------------------
  // Input

  function safeDecode(text) {
    if (!text.includes("%")) return text;
    try {
      return decodeURIComponent(text);
    } catch (_) {
      return text;
    }
  }

  /** A typed number, token or link (or a location.hash) → the request to make, or null. */
  function parseInput(raw) {
    let text = String(raw || "").trim();
    const hash = text.indexOf("#");
    if (hash >= 0) text = text.slice(hash + 1);
    text = safeDecode(text).trim();
    if (!text) return null;
    if (text.includes(".")) return { token: text.replace(/\s+/g, "") };
    return { number: text };
  }

  // ---------------------------------------------------------------------------------------
  // Verification

  async function verify(request, { focus = false } = {}) {
    state.seq += 1;
    const seq = state.seq;
    state.view = { kind: "busy" };
    render();

    const parsed = request.token ? parseToken(request.token) : null;
    const local = checkLocally(parsed).catch(() => "none");
    let view;
    try {
      const answer = await askRegistry(request);
      let signature = await local;
      const cert = answer.certificate;
      if (signature === "ok" && cert && !payloadAgrees(parsed.payload, cert)) signature = "bad";
      // The key id: the token's header for a scanned code (the registry must name the same
      // key), the registry's answer for a typed number. Never shown for INVALID.
      const headerKid = parsed && typeof parsed.header.kid === "string" ? parsed.header.kid : null;
      if (signature === "ok" && answer.kid && answer.kid !== headerKid) signature = "bad";
      let kid = parsed ? headerKid : answer.kid;
      if (answer.status === "INVALID" || !kid || !/^[A-Za-z0-9_-]{1,64}$/.test(kid)) kid = null;
      view = { kind: "verdict", ...answer, signature, kid, checkedAt: new Date() };
    } catch (_) {
      view = { kind: "error", request, checkedAt: new Date() };
    }
    if (seq !== state.seq) return; // a newer check has started meanwhile
    state.view = view;
    render();
    if (focus) document.getElementById("verdict").focus();
  }

  function verifyFromHash() {
    const request = parseInput(window.location.hash.slice(1));
    if (request) {
      verify(request);
    } else {
      state.seq += 1;
      state.view = { kind: "intro" };
      render();
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    const input = document.getElementById("lookup-input");
    const error = document.getElementById("lookup-error");
    const request = parseInput(input.value);
    if (!request) {
      error.dataset.key = "empty";
      error.textContent = t("empty");
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    error.hidden = true;
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    // Keep the address bar truthful without triggering hashchange.
    const url = request.token
      ? `${location.pathname}${location.search}#${request.token}`
      : `${location.pathname}${location.search}`;
    try {
      history.replaceState(null, "", url);
    } catch (_) {
      /* the address stays as it was */
    }
    verify(request, { focus: true });
  }

  // ---------------------------------------------------------------------------------------
  // Rendering (createElement/textContent only: nothing is ever parsed as HTML)

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Dates are spelled out by hand: browsers' locale data for Kazakh is often missing
  // (Chromium prints "2025 M06 14"), and an employer must read the date at a glance.
  const MONTHS = {
    kk: ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
      "қыркүйек", "қазан", "қараша", "желтоқсан"],
    ru: ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
      "сентября", "октября", "ноября", "декабря"],
    en: ["January", "February", "March", "April", "May", "June", "July", "August",
      "September", "October", "November", "December"],
  };

  function formatDay(year, month, day) {
    const name = MONTHS[state.lang][month - 1];
    if (state.lang === "kk") return `${year} жылғы ${day} ${name}`;
    if (state.lang === "ru") return `${day} ${name} ${year} г.`;
    return `${day} ${name} ${year}`;
  }

  function formatDate(iso) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso));
    const month = match ? Number(match[2]) : 0;
    if (!match || month < 1 || month > 12) return String(iso);
    return formatDay(Number(match[1]), month, Number(match[3]));
  }

  /** The moment of the check in the device's local time, with its UTC offset. */
  function formatMoment(date) {
    const pad = (n) => String(n).padStart(2, "0");
    const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    const offset = -date.getTimezoneOffset();
    const hours = pad(Math.floor(Math.abs(offset) / 60));
    const minutes = pad(Math.abs(offset) % 60);
    const zone = offset === 0 ? "UTC" : `UTC${offset > 0 ? "+" : "−"}${hours}:${minutes}`;
    const day = formatDay(date.getFullYear(), date.getMonth() + 1, date.getDate());
    return `${day}, ${time} (${zone})`;
  }

  function render() {
    const region = document.getElementById("verdict");
    const details = document.getElementById("details");
    if (!region || !details) return;
    const view = state.view;
    region.replaceChildren();
    details.replaceChildren();
    details.hidden = true;
    region.setAttribute("aria-busy", String(view.kind === "busy"));
    delete region.dataset.status;

    if (view.kind === "intro") {
      region.append(el("p", "intro", t("intro")));
      return;
    }
    if (view.kind === "busy") {
      const busy = el("p", "busy");
      busy.append(el("span", "busy__spinner"), el("span", null, t("checking")));
      region.append(busy);
      return;
    }
    if (view.kind === "error") {
      region.dataset.status = "ERROR";
      region.append(verdictCard("ERROR", null, null));
      const retry = el("button", "button button--secondary", t("retry"));
      retry.type = "button";
      retry.addEventListener("click", () => verify(view.request, { focus: true }));
      details.append(retry);
      details.hidden = false;
      return;
    }

    // A verdict: the registry's status; a failed local check next to VALID is a mismatch.
    const shown = view.status === "VALID" && view.signature === "bad" ? "MISMATCH" : view.status;
    region.dataset.status = shown;
    const reason = view.reasons[state.lang] || view.reason;
    region.append(verdictCard(shown, view.status, reason));

    const rows = [];
    const cert = shown === "INVALID" || shown === "MISMATCH" ? null : view.certificate;
    if (cert) {
      // No name: the registry erased the holder's personal data (the reason says so).
      if (cert.fullName) rows.push(["holder", cert.fullName, "field--holder", "fullName"]);
      rows.push(["course", cert.courseTitle, null, "courseTitle"]);
      rows.push(["credits", cert.credits, null, "credits"]);
      rows.push(["issuedOn", formatDate(cert.issuedOn), null, "issuedOn"]);
      rows.push(["number", groupNumber(cert.number), "field--mono", "number"]);
      if (cert.supersededBy) {
        rows.push(["replacedBy", groupNumber(cert.supersededBy), "field--mono", "supersededBy"]);
      }
      rows.push(["issuer", ISSUER[state.lang], null, "issuer"]);
      if (view.kid) rows.push(["kid", view.kid, "field--mono", "kid"]);
      if (view.logProof || view.proofUrl) rows.push(["auditLog", view.logIndex, null, "auditLog"]);
    }
    const signatureKey = view.signature === "ok" ? "sigBrowser"
      : view.signature === "bad" ? "sigMismatch" : "sigRegistry";
    if (shown !== "INVALID" || view.signature === "bad") {
      const sigClass = `field--sig field--sig-${view.signature}`;
      rows.push(["signature", t(signatureKey), sigClass, "signature"]);
    }
    rows.push(["checkedAt", formatMoment(view.checkedAt), null, "checkedAt"]);

    const list = el("dl", "fields");
    for (const [label, value, className, name] of rows) {
      const row = el("div", `field${className ? ` ${className}` : ""}`);
      row.dataset.field = name;
      const term = el("dt", "field__label", t(label));
      const data = el("dd", "field__value");
      if (name === "issuedOn") {
        const time = el("time", null, value);
        time.dateTime = cert.issuedOn;
        data.append(time);
      } else if (name === "auditLog" && view.proofUrl) {
        // In plain words, with the proof file to download (registry verify --proof).
        const link = el("a", null, recordedText(value, view.witnesses));
        link.href = view.proofUrl;
        link.setAttribute("download", `${cert.number}.tlog-proof`);
        data.append(link);
      } else if (name === "auditLog") {
        const link = el("a", null, t("auditEntry").replace("{index}", String(value)));
        link.href = view.logProof;
        data.append(link);
      } else if (name === "checkedAt") {
        const time = el("time", null, value);
        time.dateTime = view.checkedAt.toISOString();
        data.append(time);
      } else {
        data.textContent = String(value);
      }
      row.append(term, data);
      // What the key or the log is, in plain words, under the value.
      const hint = label === "auditLog" && view.proofUrl ? "auditProofHint" : HINTS[label];
      if (hint) row.append(el("dd", "field__hint", t(hint)));
      list.append(row);
    }
    details.append(list);
    if (cert && cert.supersededBy) {
      const next = el("button", "button button--secondary", t("checkReplacement"));
      next.type = "button";
      next.addEventListener("click", () => {
        try {
          history.replaceState(null, "", `${location.pathname}${location.search}`);
        } catch (_) {
          /* keep the address */
        }
        verify({ number: String(cert.supersededBy) }, { focus: true });
      });
      details.append(next);
    }
    if (cert && shown === "VALID" && view.credentialUrl) {
      details.append(walletOffer(cert.number, view.credentialUrl));
    }
    details.hidden = false;
  }

  const HINTS = { kid: "kidHint", auditLog: "auditHint" };

  /** "Recorded in the university's public log (entry 17), confirmed by 2 independent
   *  witnesses", in the page's language and its plural form (Russian: 1, 21 … one; else
   *  other; Kazakh: one form). */
  function recordedText(index, witnesses) {
    let key = "auditRecorded";
    if (witnesses > 0) {
      let form = witnesses === 1 ? "one" : "other";
      try {
        form = new Intl.PluralRules(state.lang).select(witnesses) === "one" ? "one" : "other";
      } catch (_) {
        /* no Intl: the English rule */
      }
      key = `auditWitnessed_${form}`;
    }
    return t(key).replace("{index}", String(index)).replace("{n}", String(witnesses));
  }

  /** ``3B2ZK41BYZT76BZ4H`` → ``3B2Z-K41B-YZT7-6BZ4-H``, as the paper prints it. */
  function groupNumber(number) {
    return (String(number).match(/.{1,4}/g) || []).join("-");
  }

  /** The certificate as an Open Badges credential for a wallet, and how to add it. */
  function walletOffer(number, url) {
    const section = el("section", "wallet");
    section.setAttribute("aria-labelledby", "wallet-heading");
    const heading = el("h2", "wallet__title", t("walletHeading"));
    heading.id = "wallet-heading";
    const download = el("a", "button button--secondary wallet__download", t("walletDownload"));
    download.href = url;
    download.setAttribute("download", `certificate-${number}.json`);
    download.type = "application/ld+json";
    const label = el("p", "wallet__label", t("walletUrl"));
    const link = el("input", "wallet__url");
    link.type = "text";
    link.readOnly = true;
    link.value = url;
    link.setAttribute("aria-label", t("walletUrl"));
    link.addEventListener("focus", () => link.select());
    const steps = el("ol", "wallet__steps");
    for (const step of t("walletSteps")) steps.append(el("li", null, step));
    section.append(heading, el("p", "wallet__intro", t("walletIntro")), download, label, link,
      steps);
    return section;
  }

  function verdictCard(shown, registryStatus, reason) {
    const card = el("div", `verdict verdict--${shown.toLowerCase()}`);
    card.append(el("span", "verdict__icon", ICONS[shown]));
    card.lastChild.setAttribute("aria-hidden", "true");
    const body = el("div", "verdict__body");
    body.append(el("p", "verdict__word", t(shown)));
    // The status code in Latin letters too, so that nobody depends on the translation.
    if (shown === "MISMATCH") {
      body.append(el("p", "verdict__code", `${t("registryAnswer")}: ${registryStatus}`));
    } else if (shown !== "ERROR" && t(shown) !== shown) {
      const code = el("p", "verdict__code", shown);
      code.lang = "en";
      body.append(code);
    }
    body.append(el("p", "verdict__desc", t(`${shown}_desc`)));
    if (reason && shown !== "ERROR") {
      const line = el("p", "verdict__reason");
      line.append(el("span", "verdict__reason-label", `${t("reason")}: `));
      // Word for word, as the registry said it.
      line.append(el("span", "verdict__reason-text", reason));
      body.append(line);
    }
    card.append(body);
    return card;
  }

  // ---------------------------------------------------------------------------------------
  // Start

  function start() {
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.addEventListener("click", () => setLanguage(button.dataset.lang, true));
    }
    const form = document.getElementById("lookup");
    if (form) form.addEventListener("submit", onSubmit);
    window.addEventListener("hashchange", verifyFromHash);
    setLanguage(storedLanguage() || browserLanguage(), false);
    verifyFromHash();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
