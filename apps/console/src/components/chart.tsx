import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/**
 * Okabe–Ito, a palette that stays distinguishable with the common colour-vision deficiencies; grey is kept for
 * "other".
 */
export const SERIES_COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'];
export const OTHER_COLOR = '#8c8c8c';

export interface Series {
  label: string;
  values: number[];
  color: string;
}

/**
 * Stacked bars over time buckets (Chart.js). The canvas is an image to assistive technology, with a summary as its
 * name; the page puts the same numbers in a table next to it.
 */
export function StackedBars({
  labels,
  series,
  format,
  axisLabel,
  summary,
  testId,
}: {
  labels: string[];
  series: Series[];
  format: (value: number) => string;
  axisLabel: string;
  summary: string;
  testId?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar', number[], string> | undefined>(undefined);
  const formatRef = useRef(format);
  formatRef.current = format;

  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: true, ticks: { color: '#3b3b3b', maxRotation: 0, autoSkip: true }, grid: { display: false } },
          y: {
            stacked: true,
            beginAtZero: true,
            title: { display: true, text: axisLabel, color: '#3b3b3b' },
            ticks: { color: '#3b3b3b', callback: (value) => formatRef.current(Number(value)) },
            grid: { color: '#e3e3e3' },
          },
        },
        plugins: {
          legend: { position: 'bottom', labels: { color: '#1a1a1a', boxWidth: 14 } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatRef.current(Number(item.raw))}` } },
        },
      },
    });
    return () => {
      chart.current?.destroy();
      chart.current = undefined;
    };
  }, [axisLabel]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.labels = labels;
    c.data.datasets = series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color, borderWidth: 0, stack: 'all' }));
    c.update();
  }, [labels, series]);

  return (
    <div class="chart" data-testid={testId}>
      <canvas ref={canvas} role="img" aria-label={summary} />
    </div>
  );
}
