// @ts-check
// The web app: one page over the JSON API, nothing else. Each page is a module of pages/; this
// one starts NHS.UK frontend, signs in and routes. No NHS number or name is ever put in a URL
// (views are fragments, the number and a searched name travel only in an API request), so none
// reaches a history, a log or a referrer.

import { renderChrome, PAGES } from "./chrome.js";
import { enhance, inset, show } from "./dom.js";
import { completeSignIn, maySignInSilently, sessionEnded, signIn } from "./oidc.js";
import { childSearchPage } from "./pages/child-search.js";
import { deadLettersPage } from "./pages/dead-letters.js";
import { inboxPage } from "./pages/inbox.js";
import { indicatorsPage } from "./pages/indicators.js";
import { lookupPage } from "./pages/lookup.js";
import { overduePage } from "./pages/overdue.js";
import { plansPage } from "./pages/plans.js";
import { profilePage } from "./pages/profile.js";
import { profilesPage } from "./pages/profiles.js";
import { reconciliationPage } from "./pages/reconciliation.js";
import { recordPage } from "./pages/record.js";
import { reportPage } from "./pages/report.js";
import { signInPage } from "./pages/sign-in.js";
import { uploadPage } from "./pages/upload.js";
import { usagePage } from "./pages/usage.js";
import { session } from "./session.js";

/** Each fragment's page; `arg` is what follows it (`#/plans/<ref>`). */
/** @type {Record<string, (arg?: string) => unknown>} */
const VIEWS = {
  lookup: lookupPage, "child-search": childSearchPage, inbox: inboxPage, plans: plansPage, record: recordPage, upload: uploadPage,
  report: reportPage, profile: profilePage, profiles: profilesPage, "dead-letters": deadLettersPage,
  reconciliation: reconciliationPage, indicators: indicatorsPage, usage: usagePage, overdue: overduePage,
};

async function route() {
  renderChrome();
  if (!session.claims) return signInPage();
  const pages = PAGES[session.claims.role] || [];
  if (pages.length === 0) {
    // NHS staff whose selected role grants neither CP-IS activity: nothing here is theirs.
    return show("No access to child protection information", inset(
      "The role you signed in with does not include viewing child protection information " +
      "(NHS CIS2 activity B0107 or B0170). Ask your registration authority, or sign in with another role."));
  }
  const [, page, arg] = (location.hash || "#/").split("/");
  if (!page) {
    location.hash = (pages[0] || ["#/lookup"])[0];
    return;
  }
  if (!pages.some(([href]) => href === `#/${page}`)) {
    return show("You cannot use this page", inset("This page is not part of your role. Use the menu above."));
  }
  return VIEWS[page](arg && decodeURIComponent(arg));
}

async function start() {
  // NHS.UK frontend runs only where the body says it is supported; its own snippet for that is
  // an inline script, which our Content-Security-Policy refuses, so this module says it.
  document.body.classList.add("nhsuk-frontend-supported");
  enhance(document.body);
  session.config = await (await fetch("/app/config.json")).json();
  if (session.config?.local) document.getElementById("local-banner")?.classList.remove("app-hidden");
  const params = new URLSearchParams(location.search);
  let message = null;
  if (params.has("code") || params.has("error")) {
    const done = await completeSignIn(params);
    // Asking the next provider silently: the page is on its way there.
    if (done.leaving) return;
    message = done.message;
    // Back where the person was, without the code in the address bar or the history.
    history.replaceState(null, "", `/app/${done.place}`);
  } else if (maySignInSilently()) {
    // A reload, or a link opened in a new tab: the issuer answers at once, with a code while
    // its session lasts and with `login_required` when it has none.
    await signIn({ silent: true });
    return;
  }
  sessionEnded.addEventListener("ended", (e) => {
    renderChrome();
    signInPage(/** @type {CustomEvent<string>} */ (e).detail);
  });
  window.addEventListener("hashchange", route);
  if (message) {
    renderChrome();
    return signInPage(message);
  }
  await route();
}

start();
