// A sparkline of recent latencies on a canvas: one bar per sample, scaled to the window's max,
// with the 50 ms budget line so a glance says whether typing feels instant.

const BUDGET_MS = 50;

export function drawSparkline(canvas: HTMLCanvasElement, values: readonly number[]): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width, height } = canvas;
  g.clearRect(0, 0, width, height);
  if (values.length === 0) return;
  const max = Math.max(BUDGET_MS * 1.5, ...values);
  const barWidth = width / Math.max(values.length, 60);
  values.forEach((v, i) => {
    const h = Math.max(1, (v / max) * height);
    g.fillStyle = v <= BUDGET_MS ? '#4ec9b0' : v <= 150 ? '#dcdcaa' : '#f48771';
    g.fillRect(width - (values.length - i) * barWidth, height - h, Math.max(1, barWidth - 1), h);
  });
  const y = height - (BUDGET_MS / max) * height;
  g.strokeStyle = 'rgba(255,255,255,0.35)';
  g.beginPath();
  g.moveTo(0, y);
  g.lineTo(width, y);
  g.stroke();
}
