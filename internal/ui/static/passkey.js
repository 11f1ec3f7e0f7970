// Passkeys: a button with data-passkey="create" registers one, with
// data-passkey="get" signs in with one. It asks data-begin for the
// ceremony's options (posting the form's fields named in data-send), lets
// the browser's WebAuthn API ask the authenticator, and posts the answer
// with its form in the fields "ceremony" and "passkey". Fields marked
// data-passkey-skip (the TOTP code) are then not required. Without
// WebAuthn the buttons stay hidden.
(function () {
  "use strict";

  function bytes(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function b64url(buf) {
    if (!buf) { return null; }
    var b = new Uint8Array(buf), bin = "";
    for (var i = 0; i < b.length; i++) { bin += String.fromCharCode(b[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: bytes(d.id), transports: d.transports };
    });
  }

  // options turns the node's JSON options into what the WebAuthn API takes.
  function options(pk) {
    pk.challenge = bytes(pk.challenge);
    if (pk.user) { pk.user.id = bytes(pk.user.id); }
    if (pk.excludeCredentials) { pk.excludeCredentials = descriptors(pk.excludeCredentials); }
    if (pk.allowCredentials) { pk.allowCredentials = descriptors(pk.allowCredentials); }
    return pk;
  }

  // answer turns the browser's PublicKeyCredential into JSON for the node.
  function answer(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: b64url(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: b64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = b64url(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = b64url(r.authenticatorData);
      out.response.signature = b64url(r.signature);
      out.response.userHandle = b64url(r.userHandle);
    }
    return JSON.stringify(out);
  }

  function run(button) {
    var form = button.form, error = form.querySelector("#passkey-error");
    function fail(msg) {
      if (error) { error.textContent = msg; error.hidden = false; }
      button.disabled = false;
    }
    var skipped = form.querySelectorAll("[data-passkey-skip]");
    skipped.forEach(function (el) { el.required = false; el.disabled = true; });
    if (!form.reportValidity()) {
      skipped.forEach(function (el) { el.required = true; el.disabled = false; });
      return;
    }
    button.disabled = true;
    var body = new URLSearchParams();
    (button.dataset.send || "").split(" ").forEach(function (name) {
      if (name && form.elements[name]) { body.append(name, form.elements[name].value); }
    });
    fetch(button.dataset.begin, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (res) {
        return res.json().then(function (j) {
          if (!res.ok) { throw new Error(j.error || res.statusText); }
          return j;
        });
      })
      .then(function (j) {
        var pk = options(j.options.publicKey);
        var ask = button.dataset.passkey === "create" ?
          navigator.credentials.create({ publicKey: pk }) :
          navigator.credentials.get({ publicKey: pk });
        return ask.then(function (cred) {
          if (!cred) { throw new Error(button.dataset.failed); }
          form.elements.ceremony.value = j.ceremony;
          form.elements.passkey.value = answer(cred);
          form.submit();
        }, function () { throw new Error(button.dataset.failed); });
      })
      .catch(function (e) {
        skipped.forEach(function (el) { el.required = true; el.disabled = false; });
        fail(e.message);
      });
  }

  function start() {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    document.querySelectorAll(".passkey-only").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll(".passkey-absent").forEach(function (el) { el.hidden = true; });
    document.querySelectorAll("button[data-passkey]").forEach(function (b) {
      b.addEventListener("click", function () { run(b); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
