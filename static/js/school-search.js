// Suggests schools as someone types into an input[data-school-search] with a <datalist>.
// Each suggestion ends "(URN 123456)", which the form reads; typing a URN works without it.
(() => {
  const inputs = document.querySelectorAll("input[data-school-search]");
  inputs.forEach((input) => {
    const list = document.getElementById(input.getAttribute("list"));
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const query = input.value.trim();
      if (query.length < 3 || /\(URN \d+\)$/.test(query)) return;
      timer = setTimeout(async () => {
        try {
          const response = await fetch(`/schools/search/?q=${encodeURIComponent(query)}`);
          const { results } = await response.json();
          list.replaceChildren(
            ...results.map((school) => {
              const option = document.createElement("option");
              option.value = `${school.name}, ${school.town || school.postcode} (URN ${school.urn})`;
              return option;
            }),
          );
        } catch (error) {
          // Search is a help, not a must: a typed URN still works.
        }
      }, 250);
    });
  });
})();
