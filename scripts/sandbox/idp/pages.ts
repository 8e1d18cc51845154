/**
 * The IdP's HTML pages. Self-contained (no web fonts or scripts from the internet) so they
 * load in an offline headless Chromium, and plain enough for the headless approver to parse:
 * one <form> per page, inputs with name/value, submit buttons inside the form.
 */
const STYLE = `body{font-family:sans-serif;margin:40px auto;max-width:340px;color:#222}
h1{font-weight:300}input{display:block;width:100%;margin:6px 0 12px;padding:8px;box-sizing:border-box}
button{padding:8px 16px;margin-right:8px}.error{color:#b00020}.hint{color:#666;font-size:90%}`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return (
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`
  );
}

export function loginPage(action: string, clientName: string, error?: string, username = ''): string {
  return page(
    'EIDF Sandbox sign-in',
    `<p>Sign in to continue to <strong>${escapeHtml(clientName)}</strong>.</p>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<label>Username<input name="username" autocomplete="username" autofocus value="${escapeHtml(username)}"></label>
<label>Password<input name="password" type="password" autocomplete="current-password"></label>
<button type="submit" name="submit" value="login">Sign in</button>
</form><p class="hint">Sandbox users: alice, bob, carol.</p>`,
  );
}

/** oidc-provider passes a ready <form> (hidden xsrf etc.); we add the visible controls inside it. */
function intoForm(form: string, controls: string): string {
  return form.replace(/<\/form>\s*$/, `${controls}</form>`);
}

export function deviceInputPage(form: string, error?: string): string {
  const message = error ? `<p class="error">${escapeHtml(error)}</p>` : '<p>Enter the code shown on your device.</p>';
  return page('Device sign-in', message + intoForm(form, '<button type="submit">Continue</button>'));
}

export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return page(
    'Confirm device',
    `<p><strong>${escapeHtml(clientName)}</strong> wants to sign in.
Check that your device shows this code:</p><p><code id="user-code">${escapeHtml(userCode)}</code></p>` +
      intoForm(
        form,
        '<button type="submit" id="confirm">Continue</button>' +
          '<button type="submit" name="abort" value="yes">Abort</button>',
      ),
  );
}

export function deviceSuccessPage(clientName: string): string {
  return page(
    'Sign-in Success',
    `<p>Your sign-in to ${escapeHtml(clientName)} was successful. You can close this page.</p>`,
  );
}

export function errorPage(details: Record<string, unknown>): string {
  const lines = Object.entries(details).map(
    ([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(String(v))}</p>`,
  );
  return page('Sign-in error', lines.join(''));
}
