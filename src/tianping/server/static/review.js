/* Tianping review queue: keyboard labelling and next item without a full reload.
 *
 * Keys (outside a text field): q qualified, u unqualified, 1-9 quick risk picks,
 * 0 no risk, n note, Enter submit; Esc leaves a field. Without this script the page
 * is a plain form that posts and redirects to the next item.
 */
(function () {
  "use strict";
  var root = document.getElementById("review-item");
  if (!root) {
    return;
  }
  var busy = false;
  document.documentElement.classList.add("js");
  root.setAttribute("tabindex", "-1");

  function form() {
    return root.querySelector("form.review-form");
  }

  function typing(el) {
    if (!el) {
      return false;
    }
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && el.type !== "radio" && el.type !== "checkbox" &&
        el.type !== "submit" && el.type !== "button");
  }

  function say(text) {
    var box = root.querySelector(".review-message");
    if (box) {
      box.textContent = text;
      box.hidden = !text;
    }
  }

  function choose(value) {
    var f = form();
    var radio = f.querySelector('input[name="qualified"][value="' + value + '"]');
    if (radio) {
      radio.checked = true;
      say("");
    }
  }

  function pick(digit) {
    var f = form();
    var button = f.querySelector('[data-pick="' + digit + '"]');
    if (button && f.elements.risk) {
      f.elements.risk.value = button.getAttribute("data-risk");
      markPicked();
    }
  }

  function markPicked() {
    var f = form();
    var value = f.elements.risk ? f.elements.risk.value : "";
    var buttons = f.querySelectorAll("[data-pick]");
    for (var i = 0; i < buttons.length; i++) {
      var on = buttons[i].getAttribute("data-risk") === value;
      buttons[i].classList.toggle("picked", on);
      buttons[i].setAttribute("aria-pressed", on ? "true" : "false");
    }
  }

  function submit(f) {
    if (busy) {
      return;
    }
    if (!f.querySelector('input[name="qualified"]:checked')) {
      say(f.getAttribute("data-choose") || "q / u");
      return;
    }
    busy = true;
    root.setAttribute("aria-busy", "true");
    var body = new URLSearchParams(new FormData(f));
    fetch(f.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "tianping-review" }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.headers.get("X-Review-Fragment") !== "1") {
          // Not our fragment (signed out, an error page): let the browser show it.
          window.location.assign(response.url || f.action);
          return;
        }
        root.innerHTML = html;
        var next = form();
        if (next && next.getAttribute("data-url")) {
          window.history.replaceState(null, "", next.getAttribute("data-url"));
        }
        root.focus();
        window.scrollTo(0, 0);
      });
    }).catch(function () {
      f.submit(); // the network hiccupped: fall back to a plain post
    }).then(function () {
      busy = false;
      root.removeAttribute("aria-busy");
    });
  }

  root.addEventListener("submit", function (event) {
    event.preventDefault();
    submit(event.target);
  });

  root.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-pick]") : null;
    if (target) {
      event.preventDefault();
      pick(target.getAttribute("data-pick"));
    }
  });

  root.addEventListener("change", function (event) {
    if (event.target.name === "risk") {
      markPicked();
    }
  });

  document.addEventListener("keydown", function (event) {
    var f = form();
    if (!f || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var el = document.activeElement;
    if (event.key === "Escape") {
      if (typing(el)) {
        el.blur();
        root.focus();
      }
      return;
    }
    if (typing(el)) {
      return; // Enter in the note field submits the form: handled above
    }
    var key = event.key;
    if (key === "q" || key === "Q") {
      choose("1");
    } else if (key === "u" || key === "U") {
      choose("0");
    } else if (/^[1-9]$/.test(key)) {
      pick(key);
    } else if (key === "0") {
      if (f.elements.risk) {
        f.elements.risk.value = "";
        markPicked();
      }
    } else if (key === "n" || key === "N") {
      if (f.elements.note) {
        f.elements.note.focus();
      }
    } else if (key === "Enter") {
      submit(f);
    } else {
      return;
    }
    event.preventDefault();
  });

})();
