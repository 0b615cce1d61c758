/**
 * Charts as vector SVG from Apache ECharts' server-side renderer (no canvas, no browser),
 * drawn into the PDF by svg-to-pdfkit. Animations off, labels without the white outline
 * svg-to-pdfkit would paint over the text (STACK-NOTES), and every instance disposed, or
 * the process would not exit.
 */
import * as echarts from 'echarts';

const PALETTE = ['#1f3a68', '#f4c542', '#4e8fd1', '#e07a5f', '#81b29a', '#8d6a9f', '#a3a3a3'];
const TEXT = { fontFamily: 'DejaVu Sans', color: '#222222' };
/** Figures the French way on axes and labels (`1 200`, not ECharts' `1,200`). */
const french = (value: number) => new Intl.NumberFormat('fr-FR').format(value);

function render(width: number, height: number, option: echarts.EChartsCoreOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, color: PALETTE, textStyle: TEXT, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** A bar chart, one bar per category. */
export function barChart(title: string, categories: readonly string[], values: readonly number[], width = 480, height = 220): string {
  return render(width, height, {
    title: { text: title, left: 'center', textStyle: { ...TEXT, fontSize: 13 } },
    grid: { left: 40, right: 16, top: 40, bottom: 48 },
    xAxis: { type: 'category', data: [...categories], axisLabel: { ...TEXT, fontSize: 9, rotate: categories.length > 6 ? 35 : 0 } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { ...TEXT, fontSize: 9, formatter: french } },
    series: [{ type: 'bar', data: [...values], label: { show: true, position: 'top', fontSize: 9, textBorderColor: 'transparent', formatter: (p: { value: number }) => french(p.value) } }],
  });
}

/** A donut, one slice per category; empty slices left out. */
export function donutChart(title: string, slices: readonly { readonly name: string; readonly value: number }[], width = 480, height = 220): string {
  return render(width, height, {
    title: { text: title, left: 'center', textStyle: { ...TEXT, fontSize: 13 } },
    legend: { orient: 'horizontal', bottom: 0, left: 'center', textStyle: { ...TEXT, fontSize: 10 } },
    series: [
      {
        type: 'pie',
        radius: ['30%', '56%'],
        center: ['50%', '50%'],
        data: slices.filter((s) => s.value > 0).map((s) => ({ ...s })),
        label: { formatter: (p: { value: number }) => french(p.value), fontSize: 9, textBorderColor: 'transparent' },
      },
    ],
  });
}
