-- Raises an exception through mod_fastexc's notes API (t/notes.t).
function handle(r)
    local args = r:parseargs()
    if args.json then
        r.notes['fastexc-detail-json'] = args.json
    elseif args.text then
        r.notes['fastexc-detail'] = args.text
    end
    r.err_headers_out['X-From-Lua'] = 'yes'
    return tonumber(args.status or '418')
end
