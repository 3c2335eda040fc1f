// Search results quote the text of the page around the words found. That text holds the
// pages' maths as TeX source (\(W_{hh}\)), which MathJax typesets on the page but not in a
// snippet: show it as plain text instead (W_hh).
(function () {
  var SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", eta: "η",
    theta: "θ", lambda: "λ", mu: "μ", pi: "π", rho: "ρ", sigma: "σ", tau: "τ", phi: "φ",
    varphi: "φ", psi: "ψ", omega: "ω", Delta: "Δ", Sigma: "Σ", Omega: "Ω", sum: "Σ", prod: "Π",
    partial: "∂", nabla: "∇", cdot: "·", times: "×", odot: "⊙", otimes: "⊗", top: "ᵀ",
    le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈", to: "→",
    rightarrow: "→", leftarrow: "←", infty: "∞", in: "∈", lVert: "‖", rVert: "‖", "|": "‖",
    ldots: "…", dots: "…", cdots: "⋯", sqrt: "√"
  };
  function plain(tex) {
    tex = tex.replace(/\\(?:begin|end)\{[^{}]*\}|&/g, "").replace(/\\\\/g, "; ");
    for (var previous = null; previous !== tex;) {  // innermost braces first
      previous = tex;
      tex = tex
        .replace(/\\(?:mathrm|mathbf|boldsymbol|text|operatorname|mathcal|tilde|hat|bar)\{([^{}]*)\}/g, "$1")
        .replace(/\\sqrt\{([^{}]*)\}/g, "√($1)")
        .replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, "($1)/($2)");
    }
    return tex
      .replace(/\\(left|right|big|Big|bigg|Bigg)\b/g, "")
      .replace(/\\[,;!:]|\\q?quad\b/g, " ")
      .replace(/\\([A-Za-z]+|\|)/g, function (m, name) { return name in SYMBOLS ? SYMBOLS[name] : name; })
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }
  function withoutTex(text) {
    return text.replace(/\\\((.*?)\\\)|\\\[([\s\S]*?)\\\]|\$\$([\s\S]*?)\$\$/g, function (m, a, b, c) {
      return plain(a || b || c || "");
    });
  }
  var htmlToText = Search.htmlToText;
  Search.htmlToText = function (htmlString, anchor) {
    return withoutTex(htmlToText(htmlString, anchor));
  };
})();
