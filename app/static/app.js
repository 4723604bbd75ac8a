// The demo page: draw or upload a digit (or a number), send it to POST /predict (/predict/number), show the answer.
"use strict";

const STROKE_FRACTION = 0.075; // pen width as a fraction of the canvas side: MNIST-like strokes
const DEBOUNCE_MS = 250;
const NUMBER_WIDTH = 3; // the number pad is three times as wide as high: room for several digits

// Every element of the page that has an id, by its id: looked up once, named here.
const {
  pad, overlay, bars, preview, seen, clear: clearButton, upload: uploadInput,
  digit: digitText, confidence: confidenceText, error: errorText, verdict: verdictText,
  "seen-image": seenImage, "number-digits": numberDigits, "model-info": modelInfo,
} = Object.fromEntries([...document.querySelectorAll("[id]")].map((element) => [element.id, element]));
const context = pad.getContext("2d");
const overlayContext = overlay.getContext("2d");
let mode = "digit";
let drawing = false;
let hasInk = false;
let debounce = null;
let lastPoint = null;

// The pad is a transparent layer (the page's paper shows through): its PNG is strokes on transparency,
// which the service reads as a drawing with nothing printed under it, cheaper and surer than a white page.
function clearPad() {
  context.clearRect(0, 0, pad.width, pad.height);
  hasInk = false;
}

function showError(message) {
  errorText.textContent = message;
  errorText.hidden = false;
}

function showSeen(result) {
  seen.hidden = !result.input_png;
  if (result.input_png) seenImage.src = `data:image/png;base64,${result.input_png}`;
}

function showPrediction(result) {
  errorText.hidden = true;
  showSeen(result);
  // Not a digit: say so rather than show a confident-looking guess.
  verdictText.hidden = result.is_digit !== false;
  verdictText.textContent = result.reason === "several_digits"
    ? "That looks like several digits: read them as a number."
    : "That doesn't look like a digit.";
  digitText.textContent = result.is_digit === false ? "?" : String(result.digit);
  confidenceText.textContent = result.is_digit === false
    ? `Best guess ${result.digit}, confidence ${(result.confidence * 100).toFixed(1)}%`
    : `Confidence ${(result.confidence * 100).toFixed(1)}%`;
  bars.replaceChildren(...result.probabilities.map((probability, digit) => {
    const item = document.createElement("li");
    if (digit === result.digit) item.className = "best";
    const percent = (probability * 100).toFixed(1);
    item.innerHTML = `<span>${digit}</span><span class="bar"><span style="width:${percent}%"></span></span>`
      + `<span class="value">${percent}%</span>`;
    item.setAttribute("aria-label", `digit ${digit}: ${percent} percent`);
    return item;
  }));
}

function resetResult(message) {
  verdictText.hidden = true;
  seen.hidden = true;
  digitText.textContent = "–";
  confidenceText.textContent = message;
  bars.replaceChildren();
  numberDigits.replaceChildren();
  numberDigits.hidden = true;
  overlayContext.clearRect(0, 0, overlay.width, overlay.height);
  errorText.hidden = true;
}

// A number: its text, its confidence, each digit's confidence, and (for a drawing) the boxes found.
function showNumber(result, drawn) {
  resetResult(`Confidence ${(result.confidence * 100).toFixed(1)}% that all ${result.digits.length} digits are right`);
  digitText.textContent = result.text;
  numberDigits.hidden = false;
  numberDigits.replaceChildren(...result.digits.map((found) => {
    const item = document.createElement("li");
    const percent = (found.confidence * 100).toFixed(1);
    item.innerHTML = `<b>${found.digit}</b><span class="muted">${percent}%</span>`;
    item.setAttribute("aria-label", `digit ${found.digit}: ${percent} percent`);
    return item;
  }));
  if (!drawn) return; // boxes are in the uploaded image's pixels; the pad shows only drawings
  overlayContext.strokeStyle = "#0a7c2f";
  overlayContext.fillStyle = "#0a7c2f";
  overlayContext.lineWidth = 2;
  overlayContext.font = "16px system-ui, sans-serif";
  for (const found of result.digits) {
    const [x, y, width, height] = found.box;
    overlayContext.strokeRect(x - 3, y - 3, width + 6, height + 6);
    overlayContext.fillText(`${found.digit} ${(found.confidence * 100).toFixed(0)}%`, x - 3, Math.max(14, y - 6));
  }
}

async function predict(blob, filename, drawn) {
  const form = new FormData();
  form.append("file", blob, filename);
  const asked = mode;
  let response;
  try {
    response = await fetch(asked === "number" ? "/predict/number" : "/predict?explain=true", { method: "POST", body: form });
  } catch {
    showError("The service cannot be reached.");
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (asked !== mode) return; // the mode changed while the request was out
  if (response.ok) {
    if (asked === "number") showNumber(body, drawn);
    else showPrediction(body);
  } else if (response.status === 503) {
    showError("The service is not ready yet; try again in a moment.");
  } else {
    showError(`The service refused the image: ${body.error || response.statusText}`);
  }
}

function predictDrawing() {
  clearTimeout(debounce);
  if (!hasInk) return;
  pad.toBlob((blob) => predict(blob, "drawing.png", true), "image/png");
}

function schedulePrediction() {
  clearTimeout(debounce);
  debounce = setTimeout(predictDrawing, DEBOUNCE_MS);
}

function canvasPoint(event) {
  const box = pad.getBoundingClientRect();
  return { x: (event.clientX - box.left) * (pad.width / box.width), y: (event.clientY - box.top) * (pad.height / box.height) };
}

function strokeTo(point) {
  context.strokeStyle = "#000";
  context.lineWidth = pad.height * STROKE_FRACTION;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.beginPath();
  context.moveTo(lastPoint.x, lastPoint.y);
  context.lineTo(point.x, point.y);
  context.stroke();
  lastPoint = point;
  hasInk = true;
}

pad.addEventListener("pointerdown", (event) => {
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  lastPoint = canvasPoint(event);
  strokeTo(lastPoint);
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  strokeTo(canvasPoint(event));
  schedulePrediction();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    predictDrawing();
  });
}

clearButton.addEventListener("click", () => {
  clearTimeout(debounce);
  clearPad();
  preview.hidden = true;
  resetResult("Draw a digit or upload an image.");
});

uploadInput.addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file) return;
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  predict(file, file.name, false);
  event.target.value = "";
});

async function loadModelInfo() {
  try {
    const response = await fetch("/model");
    if (response.ok) {
      const model = await response.json();
      modelInfo.textContent = `Model ${model.architecture} version ${model.version}, `
        + `test accuracy ${(model.test_accuracy * 100).toFixed(2)}% on MNIST`;
      return;
    }
    modelInfo.textContent = response.status === 503 ? "The model is loading…" : "Model information unavailable.";
  } catch {
    modelInfo.textContent = "The service cannot be reached.";
  }
  setTimeout(loadModelInfo, 2000);
}

for (const choice of document.querySelectorAll('input[name="mode"]')) {
  choice.addEventListener("change", () => {
    mode = choice.value;
    clearTimeout(debounce);
    document.body.classList.toggle("number", mode === "number");
    const width = mode === "number" ? pad.height * NUMBER_WIDTH : pad.height;
    pad.width = width; // resizing a canvas clears it
    overlay.width = width;
    pad.setAttribute("aria-label", mode === "number"
      ? "Drawing area: write several digits side by side"
      : "Drawing area: draw one digit with a mouse, pen or finger");
    clearPad();
    preview.hidden = true;
    resetResult(mode === "number" ? "Write a number or upload an image." : "Draw a digit or upload an image.");
  });
}

clearPad();
loadModelInfo();
