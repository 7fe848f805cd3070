/* Preview only (build.py serve): reload on rebuild, show build errors over the page.
 * The server injects this script into HTML responses; built files never contain it. */
(function () {
  "use strict";
  var S = __STRINGS__;
  var version = null, box = null;
  function overlay(errors) {
    if (!box) {
      box = document.createElement("div");
      box.id = "preview-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0 0 auto 0;max-height:80vh;overflow:auto;z-index:99999;" +
        "background:#fff8f7;color:#1c2330;border-bottom:4px solid #b3261e;padding:1rem 1.25rem;" +
        "font:16px/1.5 system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.3)";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var h = document.createElement("h2");
    h.textContent = S.title; h.style.cssText = "margin:0 0 .25rem;font-size:1.2rem;color:#b3261e";
    var p = document.createElement("p");
    p.textContent = S.intro; p.style.margin = "0 0 .75rem";
    var list = document.createElement("ol");
    errors.forEach(function (e) {
      var li = document.createElement("li");
      li.style.margin = "0 0 .6rem";
      var where = document.createElement("strong");
      where.textContent = S.file + " " + e.path + (e.line ? ", " + S.line + " " + e.line : "") + " — " + S.field + " " + e.field;
      var hint = document.createElement("div");
      hint.textContent = e.hint;
      var msg = document.createElement("code");
      msg.textContent = e.text;
      msg.style.cssText = "display:block;white-space:pre-wrap;background:#fff;padding:.25rem .5rem;border:1px solid #e5b3ae";
      li.appendChild(where); li.appendChild(hint); li.appendChild(msg);
      list.appendChild(li);
    });
    var close = document.createElement("button");
    close.type = "button"; close.textContent = S.close;
    close.onclick = function () { box.remove(); box = null; };
    box.appendChild(h); box.appendChild(p); box.appendChild(list); box.appendChild(close);
  }
  var source = new EventSource("/__livereload");
  source.addEventListener("state", function (event) {
    var state = JSON.parse(event.data);
    if (state.errors.length) { overlay(state.errors); return; }
    if (version !== null && state.version !== version) { location.reload(); return; }
    version = state.version;
    if (box) { box.remove(); box = null; }
  });
})();
