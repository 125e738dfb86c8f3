// The sign-in's pure parts: base64url, a token's claims, the authorization request (silent
// ones say prompt=none). Browser globals they use exist in node 20 (btoa, atob, TextDecoder).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { authorizeUrl, b64url, claimsOf } from "../../src/oidc.js";
import { fieldOf } from "../../src/api.js";

test("b64url is base64url without padding, for every length and byte", () => {
  for (let n = 0; n < 100; n += 1) {
    const bytes = randomBytes(n);
    assert.equal(b64url(bytes), bytes.toString("base64url"));
  }
  assert.equal(b64url(new Uint8Array([251, 255, 191])), "-_-_");
});

test("a token's claims are read back whatever characters they hold", () => {
  for (const name of ["Leeds General ED", "Hôpital Saint-Étienne", "A&E – Ward 7 “Oak”", "名前", "x".repeat(300)]) {
    const claims = { sub: "dr-1", role: "unscheduled_care", org: "RR801", org_name: name, exp: 1_900_000_000 };
    const token = ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");
    assert.deepEqual(claimsOf(token), claims);
  }
});

test("a CIS2 token's selected role gives the role, organisation and name, as the API reads them", () => {
  const cases = [
    [["B0107"], "unscheduled_care"], [["B0170"], "scheduled_care"], [["B0170", "B0107"], "unscheduled_care"],
    [[], "nhs_staff"], [["B0278", "B0401"], "nhs_staff"],
  ];
  for (const [codes, role] of cases) {
    const claims = {
      sub: "555254240100", exp: 1_900_000_000, selected_roleid: "555254242106",
      nhsid_nrbac_roles: [
        { person_roleid: "555254241105", org_code: "RR8", activity_codes: ["B0107"] },
        { person_roleid: "555254242106", org_code: "RR801", activity_codes: codes },
      ],
      nhsid_org_memberships: [{ org_code: "RR8", org_name: "Trust" }, { org_code: "RR801", org_name: "Leeds General ED" }],
    };
    const token = ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");
    const got = claimsOf(token);
    assert.equal(got.role, role, JSON.stringify(codes));
    assert.equal(got.org, "RR801");
    assert.equal(got.org_name, "Leeds General ED");
  }
});

test("an authorization request carries PKCE S256, and prompt=none only when silent", () => {
  const config = { id: "staff", label: "Sign in", issuer: "https://id.example", clientId: "web", authorizeUrl: "https://id.example/authorize", tokenUrl: "https://id.example/token", scope: "openid" };
  for (const silent of [true, false]) {
    const url = new URL(authorizeUrl(config, { redirectUri: "https://app.example/app/", state: "s1", challenge: "c".repeat(43), silent }));
    assert.equal(url.origin + url.pathname, config.authorizeUrl);
    const q = url.searchParams;
    assert.equal(q.get("response_type"), "code");
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.equal(q.get("redirect_uri"), "https://app.example/app/");
    assert.equal(q.get("prompt"), silent ? "none" : null);
  }
});

test("a problem's JSON pointer names the form field: its first step", () => {
  assert.equal(fieldOf("/nhsNumber"), "nhsNumber");
  assert.equal(fieldOf("/responsibleLa/emergencyDutyPhone"), "responsibleLa");
  assert.equal(fieldOf("/records/3/nhsNumber"), "records");
  for (const none of ["", "/", null, undefined]) assert.equal(fieldOf(none), null);
});
