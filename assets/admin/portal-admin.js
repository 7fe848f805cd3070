/*
 * The web editor (Decap CMS, /admin/) made for this portal. Loaded before decap-cms.js.
 *
 * - The article format ("portal-frontmatter"): reads an article with js-yaml and writes it back in
 *   the portal's canonical style (sitegen/articlefile.py: the same keys in the same order, text in
 *   double quotes, lists on one line, no comments), so that saving an article changes in its file
 *   only what the editor changed. tests/test_admin.py holds the two writers equal.
 * - The slug: made from the title exactly as the generator makes it (sitegen/text.py slugify), so
 *   the file is content/YYYY/MM/<slug>.md with the slug of the article's address.
 * - Widgets: a text box offering the values in use (unit), a list of names offering them (authors,
 *   topics, where a new one may be typed), an image description required when there is an image.
 * - The preview uses the portal's own stylesheet and the article page's structure.
 * - The Vietnamese words Decap CMS 3.16 lacks.
 */
(function () {
  "use strict";
  window.CMS_MANUAL_INIT = true;

  // --- the canonical front matter (keep in step with sitegen/articlefile.py) ---------------------

  var ORDER = ["title", "date", "level", "author", "unit", "topics", "summary", "image", "image_alt",
               "image_caption", "slug", "updated", "expires", "source", "aliases", "draft"];
  var DATE_KEYS = { date: 1, updated: 1, expires: 1 };
  var DATE_FORM = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;
  var BARE = /^[a-z][a-z0-9-]*$/;
  var YAML_WORDS = { y: 1, n: 1, yes: 1, no: 1, on: 1, off: 1, "true": 1, "false": 1, "null": 1 };
  // worked out in the page for Decap's paths (see sitegen/admin.py), never written to the file
  var INTERNAL = { body: 1, portal_slug: 1, portal_year: 1, portal_month: 1, portal_day: 1 };

  function addressParts(data, get) {
    var slug = String(get("slug") || "").trim() || slugify(String(get("title") || ""));
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(get("date") || ""));
    return { portal_slug: slug, portal_year: m ? m[1] : "", portal_month: m ? m[2] : "", portal_day: m ? m[3] : "" };
  }

  function plain(value) {
    return value && typeof value.toJS === "function" ? value.toJS() : value;
  }

  function quoted(text) {
    return JSON.stringify(String(text));
  }

  function empty(value) {
    return value === undefined || value === null || value === "" ||
      (Array.isArray(value) && value.length === 0);
  }

  function names(value) {
    value = plain(value);
    var list = Array.isArray(value) ? value : (empty(value) ? [] : [value]);
    return list.map(function (x) { return String(x).trim(); }).filter(function (x) { return x; });
  }

  function canonicalValue(key, value) {
    value = plain(value);
    if (key === "author") {
      var authors = names(value);
      if (!authors.length) return null;
      return authors.length === 1 ? quoted(authors[0]) : "[" + authors.map(quoted).join(", ") + "]";
    }
    if (key === "topics") return "[" + names(value).map(quoted).join(", ") + "]";
    if (key === "aliases") {
      var aliases = names(value);
      return aliases.length ? "[" + aliases.map(quoted).join(", ") + "]" : null;
    }
    if (key === "draft") return value === true ? "true" : null;
    if (empty(value)) return null;
    if (DATE_KEYS[key] && typeof value === "string" && DATE_FORM.test(value)) return value;
    if ((key === "level" || key === "slug") && typeof value === "string" && BARE.test(value) &&
        !YAML_WORDS[value]) return value;
    if (typeof value === "string") return quoted(value);
    return JSON.stringify(value);
  }

  function toFile(data) {
    data = plain(data) || {};
    var lines = ["---"];
    ORDER.forEach(function (key) {
      var text = canonicalValue(key, data[key]);
      if (text !== null && (key === "topics" || key in data || text)) lines.push(key + ": " + text);
    });
    Object.keys(data).forEach(function (key) {
      if (ORDER.indexOf(key) < 0 && !INTERNAL[key] && data[key] !== undefined) {
        lines.push(key + ": " + JSON.stringify(plain(data[key])));
      }
    });
    lines.push("---");
    var body = String(data.body || "").replace(/^\n+/, "").replace(/\n+$/, "");
    return lines.join("\n") + "\n\n" + body + "\n";
  }

  var FRONT = /^---[ \t]*\r?\n([\s\S]*?)\r?\n?---[ \t]*(?:\r?\n|$)([\s\S]*)$/;

  function fromFile(content) {
    var match = FRONT.exec(content);
    var data = {};
    var body = content;
    if (match) {
      data = window.jsyaml.load(match[1], { schema: window.jsyaml.CORE_SCHEMA }) || {};
      body = match[2].replace(/^\r?\n/, "");
    }
    data.body = body;
    var parts = addressParts(data, function (k) { return data[k]; });
    Object.keys(parts).forEach(function (k) { data[k] = parts[k]; });
    return data;
  }

  // --- slugs (keep in step with sitegen/text.py: fold, slugify) ----------------------------------

  function fold(text) {
    text = text.normalize("NFC").replace(/\u00d0/g, "\u0110").replace(/\u00f0/g, "\u0111")
      .replace(/đ/g, "d").replace(/Đ/g, "D");
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  }

  function slugify(text, max) {
    max = max || 80;
    var slug = fold(text).replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    if (slug.length > max) {
      var cut = slug.slice(0, max + 1);
      slug = cut.indexOf("-") >= 0 ? cut.slice(0, cut.lastIndexOf("-")) : slug.slice(0, max);
      slug = slug.replace(/^-+|-+$/g, "");
    }
    return slug || "bai-" + sha1(text).slice(0, 8);
  }

  // SHA-1 of the UTF-8 text (a title with no Latin letter or digit gets "bai-" and 8 hex digits of it)
  function sha1(text) {
    var bytes = Array.from(new TextEncoder().encode(text));
    var length = bytes.length * 8;
    bytes.push(0x80);
    while (bytes.length % 64 !== 56) bytes.push(0);
    for (var shift = 56; shift >= 0; shift -= 8) bytes.push(shift >= 32 ? 0 : (length >>> shift) & 0xff);
    var h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
    function rotl(x, n) { return (x << n) | (x >>> (32 - n)); }
    for (var i = 0; i < bytes.length; i += 64) {
      var w = [];
      for (var t = 0; t < 16; t++) {
        w[t] = (bytes[i + 4 * t] << 24) | (bytes[i + 4 * t + 1] << 16) | (bytes[i + 4 * t + 2] << 8) | bytes[i + 4 * t + 3];
      }
      for (t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
      for (t = 0; t < 80; t++) {
        var f = t < 20 ? (b & c) | (~b & d) : t < 40 ? b ^ c ^ d : t < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
        var k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6;
        var temp = (rotl(a, 5) + f + e + k + w[t]) | 0;
        e = d; d = c; c = rotl(b, 30); b = a; a = temp;
      }
      h = [(h[0] + a) | 0, (h[1] + b) | 0, (h[2] + c) | 0, (h[3] + d) | 0, (h[4] + e) | 0];
    }
    return h.map(function (x) { return ("00000000" + (x >>> 0).toString(16)).slice(-8); }).join("");
  }

  window.portalFormat = { toFile: toFile, fromFile: fromFile, slugify: slugify };   // for the tests

  // --- widgets ------------------------------------------------------------------------------------

  function suggestions(field) {
    return names(field.get("suggestions"));
  }

  function datalist(id, options) {
    var h = window.h;
    return h("datalist", { id: id }, options.map(function (o) { return h("option", { key: o, value: o }); }));
  }

  function suggestControl() {
    return window.createClass({
      render: function () {
        var h = window.h, p = this.props, list = p.forID + "-goi-y";
        return h("div", null,
          h("input", { id: p.forID, type: "text", className: p.classNameWrapper, value: p.value || "", list: list,
                       onChange: function (e) { p.onChange(e.target.value); },
                       onFocus: p.setActiveStyle, onBlur: p.setInactiveStyle }),
          datalist(list, suggestions(p.field)));
      },
    });
  }

  // inline: the editor's own pane takes no stylesheet of ours (registerPreviewStyle is the preview's)
  var STYLE = {
    list: { listStyle: "none", padding: 0, margin: "0 0 .5rem", display: "flex", flexWrap: "wrap", gap: ".4rem" },
    item: { display: "inline-flex", alignItems: "center", gap: ".3rem", padding: ".15rem .3rem .15rem .7rem",
            border: "1px solid #8a9bb0", borderRadius: "1rem", background: "#eef2f7" },
    remove: { border: 0, background: "transparent", cursor: "pointer", fontSize: "1.1rem", lineHeight: 1,
              minWidth: "1.6rem", minHeight: "1.6rem" },
    input: { width: "calc(100% - 6rem)", padding: ".45rem .6rem", border: "1px solid #c6cbd3", borderRadius: "4px",
             font: "inherit" },
    add: { marginLeft: ".5rem", padding: ".45rem .8rem", border: "1px solid #8a9bb0", borderRadius: "4px",
           background: "#fff", cursor: "pointer", font: "inherit" },
  };

  function namesControl() {
    return window.createClass({
      getInitialState: function () { return { typed: "" }; },
      items: function () { return names(this.props.value); },
      add: function () {
        var self = this, typed = this.state.typed;
        var found = typed.split(",").map(function (x) { return x.trim(); }).filter(function (x) { return x; });
        var items = self.items();
        found.forEach(function (x) {
          if (!items.some(function (y) { return y.toLowerCase() === x.toLowerCase(); })) items.push(x);
        });
        this.setState({ typed: "" });
        if (found.length) this.props.onChange(items);
      },
      remove: function (item) {
        this.props.onChange(this.items().filter(function (x) { return x !== item; }));
      },
      render: function () {
        var h = window.h, self = this, p = this.props, list = p.forID + "-goi-y";
        return h("div", { className: p.classNameWrapper },
          h("ul", { className: "portal-names", "aria-label": "Đã chọn", style: STYLE.list }, self.items().map(function (item) {
            return h("li", { key: item, style: STYLE.item },
              h("span", null, item),
              h("button", { type: "button", "aria-label": "Bỏ " + item, style: STYLE.remove,
                            onClick: function () { self.remove(item); } }, "×"));
          })),
          h("input", { id: p.forID, type: "text", list: list, value: self.state.typed, style: STYLE.input,
                       placeholder: "Gõ rồi nhấn Enter, hoặc chọn trong danh sách",
                       onChange: function (e) { self.setState({ typed: e.target.value }); },
                       onKeyDown: function (e) { if (e.key === "Enter" || e.key === ",") { e.preventDefault(); self.add(); } },
                       onBlur: function () { self.add(); if (p.setInactiveStyle) p.setInactiveStyle(); },
                       onFocus: p.setActiveStyle }),
          h("button", { type: "button", style: STYLE.add, onClick: function () { self.add(); } }, "Thêm"),
          datalist(list, suggestions(p.field)));
      },
    });
  }

  function altControl() {
    return window.createClass({
      isValid: function () {
        // getEntry(): the article as it is being edited (props.entry is the one loaded, stale: without
        // an image for a new article, so an image chosen since went through without its description)
        var entry = this.props.getEntry ? this.props.getEntry() : this.props.entry;
        var image = entry && entry.getIn(["data", "image"]);
        if (image && !String(this.props.value || "").trim()) {
          return { error: { message: "Ảnh đầu bài cần lời mô tả: tả ảnh cho người không xem được ảnh." } };
        }
        return true;
      },
      render: function () {
        var h = window.h, p = this.props;
        return h("input", { id: p.forID, type: "text", className: p.classNameWrapper, value: p.value || "",
                            onChange: function (e) { p.onChange(e.target.value); },
                            onFocus: p.setActiveStyle, onBlur: p.setInactiveStyle });
      },
    });
  }

  function textPreview() {
    return window.createClass({
      render: function () { return window.h("span", null, names(this.props.value).join(", ")); },
    });
  }

  // --- the preview: the article page's structure, the portal's stylesheet -------------------------

  var WEEKDAYS = ["Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];

  function shownDate(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}))?/.exec(String(value || ""));
    if (!m) return String(value || "");
    var day = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    var text = WEEKDAYS[day.getUTCDay()] + ", " + m[3] + "/" + m[2] + "/" + m[1];
    return m[4] ? text + " - " + m[4] + ":" + m[5] + " (GMT+7)" : text;
  }

  function articlePreview() {
    return window.createClass({
      render: function () {
        var h = window.h, p = this.props, data = function (key) { return plain(p.entry.getIn(["data", key])); };
        var levels = {};
        p.fields.forEach(function (field) {
          if (field.get("name") === "level") {
            (plain(field.get("options")) || []).forEach(function (o) { levels[o.value] = o.label; });
          }
        });
        var image = data("image");
        return h("main", { id: "noi-dung" },
          h("article", { className: "article" },
            h("header", { className: "article-header" },
              h("p", { className: "kicker" }, h("span", { className: "level" }, levels[data("level")] || ""),
                data("unit") ? h("span", { className: "unit" }, " " + data("unit")) : null),
              h("h1", null, data("title") || ""),
              h("p", { className: "article-meta" }, h("time", null, shownDate(data("date")))),
              data("draft") ? h("p", { className: "archived-notice" }, "Bản nháp: chưa được đăng.") : null),
            image ? h("figure", { className: "lead-image" },
              h("img", { src: p.getAsset(image).toString(), alt: data("image_alt") || "" }),
              data("image_caption") ? h("figcaption", null, data("image_caption")) : null) : null,
            h("div", { className: "article-body" }, p.widgetFor("body")),
            names(data("author")).length ? h("p", { className: "byline" }, names(data("author")).join(", ")) : null,
            names(data("topics")).length ? h("ul", { className: "tags" }, names(data("topics")).map(function (t) {
              return h("li", { key: t }, h("span", null, t));
            })) : null));
      },
    });
  }

  // --- the Vietnamese words Decap CMS 3.16 lacks --------------------------------------------------

  var VI = {
    auth: { loginWithAzure: "Đăng nhập bằng Azure", loginWithForgejo: "Đăng nhập bằng Forgejo" },
    collection: {
      // Decap's "＋ %{collectionLabel}": the full-width plus is a box where no font has it
      collectionTop: { viewAsList: "Xem dạng danh sách", viewAsGrid: "Xem dạng lưới", groupBy: "Nhóm theo",
                       viewAs: "Xem dạng", newButton: "Thêm %{collectionLabel}" },
      entries: { unpublishedHeader: "Bài chưa đăng" },
      groups: { other: "Khác", negateLabel: "Không phải %{label}" },
    },
    editor: {
      editorControl: { field: { widgetLabel: "Trường %{widgetLabel}" } },
      editorControlPane: { i18n: { writingInLocale: "Đang viết bằng %{locale}",
        copyFromLocale: "Điền từ ngôn ngữ khác",
        copyFromLocaleConfirm: "Điền dữ liệu từ %{locale}?\nMọi nội dung hiện có sẽ bị ghi đè." } },
      editorInterface: { toggleI18n: "Bật/tắt đa ngôn ngữ", togglePreview: "Bật/tắt xem trước",
                         toggleScrollSync: "Cuộn cùng lúc", toggleNotes: "Bật/tắt ghi chú" },
      editorNotesPane: { title: "Ghi chú", emptyState: "Chưa có ghi chú. Thêm ghi chú đầu tiên bên dưới.",
        addNote: "Thêm ghi chú", addPlaceholder: "Viết ghi chú...", editPlaceholder: "Sửa ghi chú...",
        save: "Lưu", cancel: "Huỷ", edit: "Sửa", "delete": "Xoá", resolve: "Đã xong", unresolve: "Mở lại",
        confirmDelete: "Xoá ghi chú này?", shortcut: "Mẹo: nhấn Ctrl+Enter để thêm nhanh" },
      editorToolbar: {
        statusInfoTooltipDraft: "Bài đang là bản nháp. Khi viết xong, chuyển sang ‘Chờ duyệt’ để gửi duyệt.",
        statusInfoTooltipInReview: "Bài đang được duyệt; bạn vẫn có thể sửa trong lúc chờ.",
        // Decap's "Đang xét duyệt" is the status the tooltip above calls ‘Chờ duyệt’; "Trạng:" is cut short
        inReview: "Chờ duyệt", status: "Trạng thái: %{status}",
      },
      editorWidgets: {
        markdown: { bold: "Đậm", italic: "Nghiêng", strikethrough: "Gạch ngang", code: "Mã", link: "Liên kết",
          linkPrompt: "Nhập địa chỉ của liên kết", headings: "Tiêu đề mục", quote: "Trích dẫn",
          bulletedList: "Danh sách", numberedList: "Danh sách đánh số", addComponent: "Thêm thành phần",
          markdown: "Markdown",
          toggleMode: { rich: "Chuyển sang chế độ soạn thảo trực quan", markdown: "Chuyển sang chế độ Markdown" } },
        image: { chooseMultiple: "Chọn ảnh", chooseUrl: "Chèn từ địa chỉ web", replaceUrl: "Thay bằng địa chỉ web",
          promptUrl: "Nhập địa chỉ của ảnh", addMore: "Thêm ảnh", removeAll: "Bỏ mọi ảnh" },
        file: { chooseUrl: "Chèn từ địa chỉ web", chooseMultiple: "Chọn tệp", replaceUrl: "Thay bằng địa chỉ web",
          promptUrl: "Nhập địa chỉ của tệp", addMore: "Thêm tệp", removeAll: "Bỏ mọi tệp" },
        datetime: { setToNow: "Đặt %{fieldLabel} là bây giờ" },
        list: { add: "Thêm %{item}", addType: "Thêm %{item}" },
        object: { expand: "Mở rộng", collapse: "Thu gọn" },
      },
    },
    workflow: { workflowList: { inReviewHeader: "Chờ duyệt" } },
    mediaLibrary: {
      mediaLibraryCard: { copy: "Sao chép", copyUrl: "Sao chép địa chỉ", copyPath: "Sao chép đường dẫn",
                          copyName: "Sao chép tên", copied: "Đã sao chép" },
      mediaLibraryModal: { close: "Đóng" },
    },
    ui: {
      settingsDropdown: { account: "Tài khoản" },
      toast: { noteAdded: "Đã thêm ghi chú", onFailToAddNote: "Không thêm được ghi chú: %{details}",
        noteUpdated: "Đã sửa ghi chú", onFailToUpdateNote: "Không sửa được ghi chú: %{details}",
        noteDeleted: "Đã xoá ghi chú", onFailToDeleteNote: "Không xoá được ghi chú: %{details}",
        noteResolved: "Ghi chú đã xong", noteReopened: "Đã mở lại ghi chú",
        onFailToToggleNote: "Không đổi được trạng thái ghi chú: %{details}" },
    },
  };

  function merged(base, extra) {
    var out = {};
    Object.keys(base || {}).forEach(function (k) { out[k] = base[k]; });
    Object.keys(extra).forEach(function (k) {
      out[k] = extra[k] && typeof extra[k] === "object" && base && typeof base[k] === "object"
        ? merged(base[k], extra[k]) : extra[k];
    });
    return out;
  }

  // Decap asks "… already exists. Do you want to replace it?" (in English only) when an uploaded
  // image has the name of one in the folder, and on yes deletes the old file at once, in a commit
  // of its own, while the new one waits for the article's save: the article using the old image
  // is broken in between, maybe another article's. The answer is always no, said in Vietnamese.
  var alert = window.alert ? window.alert.bind(window) : function () {};
  var confirm = window.confirm.bind(window);
  window.confirm = function (message) {
    var m = /^(.*) already exists\. Do you want to replace it\?$/.exec(String(message));
    if (!m) return confirm(message);
    alert("Đã có tệp " + m[1] + " trong thư mục ảnh của tháng này (có thể là ảnh của bài khác). Ảnh mới chưa " +
          "được tải lên: hãy đổi tên tệp trong máy (ví dụ thêm -2) rồi tải lên lại.");
    return false;
  };

  // --- start ----------------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    var CMS = window.CMS;
    // the body opens in the Markdown mode, which saves the text as written; the rich-text mode
    // rewrites unrelated Markdown (tables, line breaks) when it saves
    try { window.localStorage.setItem("cms.md-mode", "raw"); } catch (e) { /* private browsing */ }
    CMS.registerLocale("vi", merged(CMS.getLocale("vi"), VI));
    CMS.registerCustomFormat("portal-frontmatter", "md", { fromFile: fromFile, toFile: toFile });
    CMS.registerWidget("portal-suggest", suggestControl(), textPreview());
    CMS.registerWidget("portal-names", namesControl(), textPreview());
    CMS.registerWidget("portal-alt", altControl(), textPreview());
    CMS.registerEventListener({
      name: "preSave",
      handler: function (event) {
        var data = event.entry.get("data");
        var parts = addressParts(data, function (k) { return data.get(k); });
        Object.keys(parts).forEach(function (k) { data = data.set(k, parts[k]); });
        return data;
      },
    });
    var style = document.querySelector('meta[name="portal-style"]');
    if (style) CMS.registerPreviewStyle(style.getAttribute("content"));
    CMS.registerPreviewStyle("body{margin:0;padding:1rem 1.25rem}", { raw: true });
    CMS.registerPreviewTemplate("articles", articlePreview());
    CMS.init();
  });
})();
