/* simexit console: print buttons (data-print) are handled by print.js, which base.html loads on every page;
   a second handler here would open the print dialog twice. */
