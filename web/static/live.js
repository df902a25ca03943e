/* Live updates for seekers and employers (no libraries; the pages work without this file).
 *
 * - Listens to /mypage/events (Server-Sent Events relayed by the web server with the session's
 *   access token) and, on any event, asks /mypage/unread.json for the counts and updates the
 *   header badge (#unread-badge: "未読N件" for screen readers, hidden at 0).
 * - New unread items are announced once, politely (a status region), never on every update.
 * - On a conversation page (#messages[data-conversation]), a message of this conversation
 *   refreshes the messages list (#message-list) in place.
 */
(function () {
  "use strict";

  if (!window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }

  var badge = document.getElementById("unread-badge");
  if (badge && badge.hidden) {
    badge.style.display = "none";
  }
  var thread = document.getElementById("messages");
  var conversationId = thread ? thread.getAttribute("data-conversation") : null;
  var announcer = null;
  var countsTimer = null;
  var listBusy = false;
  var listAgain = false;

  function announce(region, text) {
    if (!region) {
      return;
    }
    // cleared first, so that the same text is announced again
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 100);
  }

  function statusRegion() {
    if (!announcer) {
      announcer = document.createElement("div");
      announcer.className = "visually-hidden";
      announcer.id = "unread-live";
      announcer.setAttribute("role", "status");
      announcer.setAttribute("aria-live", "polite");
      document.body.appendChild(announcer);
    }
    return announcer;
  }

  function currentCount() {
    if (!badge) {
      return 0;
    }
    var n = parseInt(badge.getAttribute("data-count") || "0", 10);
    return isNaN(n) ? 0 : n;
  }

  function showCount(total) {
    if (!badge) {
      return;
    }
    var before = currentCount();
    if (total === before) {
      return;
    }
    var pre = document.createElement("span");
    pre.className = "visually-hidden";
    pre.textContent = "未読";
    var post = document.createElement("span");
    post.className = "visually-hidden";
    post.textContent = "件";
    while (badge.firstChild) {
      badge.removeChild(badge.firstChild);
    }
    badge.appendChild(pre);
    badge.appendChild(document.createTextNode(String(total)));
    badge.appendChild(post);
    badge.setAttribute("data-count", String(total));
    badge.hidden = total <= 0;
    // style.css gives .badge a display of its own, which would win over the hidden attribute
    badge.style.display = total <= 0 ? "none" : "";
    if (total > before) {
      announce(statusRegion(), "新しいメッセージまたはお知らせがあります（未読" + total + "件）");
    }
  }

  function refreshCounts() {
    fetch("/mypage/unread.json", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      redirect: "error"
    })
      .then(function (resp) {
        return resp.ok ? resp.json() : null;
      })
      .then(function (counts) {
        if (counts && typeof counts.total === "number") {
          showCount(counts.total);
        }
      })
      .catch(function () {
        /* the next event tries again */
      });
  }

  function countsSoon() {
    // several events come together (a notification and its new counts): one request
    if (countsTimer) {
      window.clearTimeout(countsTimer);
    }
    countsTimer = window.setTimeout(function () {
      countsTimer = null;
      refreshCounts();
    }, 300);
  }

  function isThisConversation(data) {
    if (!conversationId || !data) {
      return false;
    }
    var link = data.link && data.link.web ? String(data.link.web) : "";
    return link.slice(-(conversationId.length + 1)) === "/" + conversationId;
  }

  function refreshMessages() {
    // older messages are being read (?cursor=…): leave the list alone
    if (window.location.search.indexOf("cursor=") !== -1) {
      return;
    }
    if (listBusy) {
      listAgain = true;
      return;
    }
    listBusy = true;
    fetch(window.location.pathname, { credentials: "same-origin", redirect: "error" })
      .then(function (resp) {
        return resp.ok ? resp.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("message-list");
        var list = document.getElementById("message-list");
        if (!fresh || !list) {
          return;
        }
        var known = {};
        Array.prototype.forEach.call(list.querySelectorAll("li.message[id]"), function (li) {
          known[li.id] = true;
        });
        var added = [];
        Array.prototype.forEach.call(fresh.querySelectorAll("li.message[id]"), function (li) {
          if (!known[li.id]) {
            li.classList.add("fresh");
            added.push(li);
          }
        });
        list.replaceChildren.apply(list, Array.prototype.slice.call(fresh.childNodes));
        if (added.length) {
          var last = added[added.length - 1].querySelector(".sender");
          var who = last ? last.textContent : "";
          announce(
            document.getElementById("message-live"),
            (who ? who + "から" : "") + "新しいメッセージが届きました（" + added.length + "件）"
          );
        }
      })
      .catch(function () {
        /* a reload shows it */
      })
      .then(function () {
        listBusy = false;
        if (listAgain) {
          listAgain = false;
          refreshMessages();
        }
      });
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (e) {
      return null;
    }
  }

  var source = null;

  function connect() {
    source = new EventSource("/mypage/events");
    ["notification", "unread"].forEach(function (name) {
      source.addEventListener(name, countsSoon);
    });
    // "message" is also the default event type: messages of conversations
    source.addEventListener("message", function (event) {
      countsSoon();
      if (isThisConversation(parse(event))) {
        refreshMessages();
      }
    });
    // more was missed than the stream replays: read everything again
    source.addEventListener("resync", function () {
      countsSoon();
      if (conversationId) {
        refreshMessages();
      }
    });
  }

  connect();
  window.addEventListener("pagehide", function () {
    if (source) {
      source.close();
      source = null;
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && !source) {
      connect();
      countsSoon();
    }
  });
})();
