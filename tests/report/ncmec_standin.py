#!/usr/bin/env python3
"""A stand-in for NCMEC's CyberTipline Reporting API, for the tests only.

ncmec_standin.py PORTFILE STATEFILE USER:PASSWORD [--hang-finish FLAGFILE]
                 [--fail-upload N]

Speaks the documented protocol (../shared/cybertipline.md): HTTP Basic on
every call (2000 without, 3000 with wrong credentials), /submit -> reportId,
/upload (multipart id + file) -> fileId and the MD5 received, /fileinfo,
/finish -> fileIds, /retract, /status. Documents are checked for the
documented child order of the elements vigil sends: out of order -> 4100,
not XML -> 4110. Unknown reports 5001, files 5002, already retracted 5101,
already finished 5102. STATEFILE gets the whole state as JSON after every
request (what the test counts). --hang-finish: while FLAGFILE exists,
/finish waits before answering (the test kills the client meanwhile);
--fail-upload N: the first N uploads answer 1000 with HTTP 500.
"""
import base64, email.parser, email.policy, hashlib, json, os, sys, threading, time
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

ORDER = {
    'report': ['incidentSummary', 'internetDetails', 'lawEnforcement', 'reporter',
               'personOrUserReported', 'intendedRecipient', 'victim', 'additionalInfo'],
    'incidentSummary': ['incidentType', 'platform', 'escalateToHighPriority',
                        'reportAnnotations', 'incidentDateTime', 'incidentDateTimeDescription'],
    'reporter': ['reportingPerson', 'contactPerson', 'companyTemplate', 'termsOfService', 'legalURL'],
    'reportingPerson': ['firstName', 'lastName', 'phone', 'email', 'address', 'age', 'dateOfBirth'],
    'personOrUserReported': ['personOrUserReportedPerson', 'vehicleDescription', 'espIdentifier',
                             'espService', 'compromisedAccount', 'screenName', 'displayName',
                             'profileUrl', 'profileBio', 'ipCaptureEvent', 'deviceId',
                             'thirdPartyUserReported', 'priorCTReports', 'groupIdentifier',
                             'accountTemporarilyDisabled', 'accountPermanentlyDisabled',
                             'estimatedLocation', 'allEmailsReported', 'associatedAccount',
                             'additionalInfo'],
    'ipCaptureEvent': ['ipAddress', 'eventName', 'dateTime', 'possibleProxy', 'port'],
    'fileDetails': ['reportId', 'fileId', 'fileName', 'originalFileName', 'uploadedToEspTimestamp',
                    'locationOfFile', 'fileViewedByEsp', 'exifViewedByEsp', 'publiclyAvailable',
                    'fileRelevance', 'fileAnnotations', 'industryClassification',
                    'originalFileHash', 'ipCaptureEvent', 'deviceId', 'details', 'additionalInfo'],
}
REQUIRED = {'report': ['incidentSummary', 'reporter'],
            'incidentSummary': ['incidentType', 'incidentDateTime'],
            'reportingPerson': ['email'], 'fileDetails': ['reportId', 'fileId']}

port_file, state_file, cred = sys.argv[1:4]
hang_flag, fail_uploads = None, 0
args = sys.argv[4:]
while args:
    if args[0] == '--hang-finish':
        hang_flag = args[1]; args = args[2:]
    elif args[0] == '--fail-upload':
        fail_uploads = int(args[1]); args = args[2:]
    else:
        sys.exit('unknown argument ' + args[0])
lock = threading.Lock()
S = {'reports': {}, 'next': 1000, 'submits': 0, 'uploads': 0, 'finishes': 0, 'requests': []}


def save():
    with open(state_file + '.tmp', 'w') as f:
        json.dump(S, f)
    os.replace(state_file + '.tmp', state_file)


def order_problem(el):
    """The first element out of the documented order, or a missing one."""
    want = ORDER.get(el.tag)
    if want:
        pos = -1
        for c in el:
            if c.tag not in want:
                return '%s: unexpected %s' % (el.tag, c.tag)
            i = want.index(c.tag)
            if i < pos:
                return '%s: %s out of order' % (el.tag, c.tag)
            pos = i
        for r in REQUIRED.get(el.tag, []):
            if el.find(r) is None:
                return '%s: %s missing' % (el.tag, r)
    for c in el:
        p = order_problem(c)
        if p:
            return p
    return None


def answer(code, desc='', **kw):
    parts = ['<reportResponse><responseCode>%d</responseCode>' % code,
             '<responseDescription>%s</responseDescription>' % desc]
    for k, v in kw.items():
        if k == 'fileIds':
            parts.append('<fileIds>' + ''.join('<fileId>%s</fileId>' % f for f in v) + '</fileIds>')
        else:
            parts.append('<%s>%s</%s>' % (k, v, k))
    parts.append('</reportResponse>')
    return ''.join(parts)


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, body):
        b = body.encode()
        self.send_response(status)
        self.send_header('Content-Type', 'text/xml; charset=utf-8')
        self.send_header('Content-Length', str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def authorised(self):
        h = self.headers.get('Authorization', '')
        if not h.startswith('Basic '):
            self.reply(401, answer(2000, 'Authentication required'))
            return False
        if base64.b64decode(h[6:]).decode() != cred:
            self.reply(401, answer(3000, 'Not authorised'))
            return False
        return True

    def do_GET(self):
        if not self.authorised():
            return
        if self.path == '/status':
            self.reply(200, answer(0, 'Success'))
        else:
            self.reply(404, answer(1210, 'Resource not found'))

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with lock:
            S['requests'].append(self.path)
            save()
        if not self.authorised():
            return
        status, text = self.handle_post(body)
        with lock:
            save()
        self.reply(status, text)

    def form_id(self, body):
        return urllib.parse.parse_qs(body.decode()).get('id', [''])[0]

    def handle_post(self, body):
        global fail_uploads
        p = self.path
        if p in ('/submit', '/fileinfo'):
            if not self.headers.get('Content-Type', '').startswith('text/xml'):
                return 400, answer(4000, 'Invalid request')
            try:
                root = ET.fromstring(body)
            except ET.ParseError as e:
                return 400, answer(4110, 'Malformed XML: %s' % e)
            want = 'report' if p == '/submit' else 'fileDetails'
            if root.tag != want:
                return 400, answer(4100, 'Validation failed: root %s' % root.tag)
            prob = order_problem(root)
            if prob:
                return 400, answer(4100, 'Validation failed: ' + prob)
            with lock:
                if p == '/submit':
                    rid = str(S['next']); S['next'] += 1; S['submits'] += 1
                    S['reports'][rid] = {'state': 'open', 'files': {}, 'fileinfo': {},
                                         'xml': body.decode(), 'finishes': 0}
                    return 200, answer(0, 'Success', reportId=rid)
                rid, fid = root.findtext('reportId'), root.findtext('fileId')
                r = S['reports'].get(rid)
                if not r:
                    return 400, answer(5001, 'Report does not exist')
                if fid not in r['files']:
                    return 400, answer(5002, 'File does not exist')
                if r['state'] != 'open':
                    return 400, answer(5102 if r['state'] == 'finished' else 5101, r['state'])
                r['fileinfo'][fid] = body.decode()
                return 200, answer(0, 'Success', reportId=rid)
        if p == '/upload':
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b'Content-Type: ' + self.headers.get('Content-Type', '').encode() + b'\r\n\r\n' + body)
            if not msg.is_multipart():
                return 400, answer(4200, 'Malformed file submittal')
            fields = {}
            for part in msg.iter_parts():
                fields[part.get_param('name', header='content-disposition')] = part.get_payload(decode=True)
            rid = (fields.get('id') or b'').decode()
            data = fields.get('file')
            with lock:
                if fail_uploads > 0:
                    fail_uploads -= 1
                    return 500, answer(1000, 'Server error')
                r = S['reports'].get(rid)
                if not r:
                    return 400, answer(5001, 'Report does not exist')
                if data is None:
                    return 400, answer(4200, 'Malformed file submittal')
                if r['state'] != 'open':
                    return 400, answer(5102 if r['state'] == 'finished' else 5101, r['state'])
                fid = 'f%d' % (len(r['files']) + 1)
                md5 = hashlib.md5(data).hexdigest()
                r['files'][fid] = {'md5': md5, 'bytes': len(data)}
                S['uploads'] += 1
                return 200, answer(0, 'Success', reportId=rid, fileId=fid, hash=md5)
        if p in ('/finish', '/retract'):
            rid = self.form_id(body)
            if p == '/finish' and hang_flag:
                while os.path.exists(hang_flag):
                    time.sleep(0.05)
            with lock:
                r = S['reports'].get(rid)
                if not r:
                    return 400, answer(5001, 'Report does not exist')
                if r['state'] == 'finished':
                    return 400, answer(5102, 'Report already finished')
                if r['state'] == 'retracted':
                    return 400, answer(5101, 'Report already retracted')
                if p == '/retract':
                    r['state'] = 'retracted'
                    return 200, answer(0, 'Success', reportId=rid)
                r['state'] = 'finished'; r['finishes'] += 1; S['finishes'] += 1
                return 200, answer(0, 'Success', reportId=rid, fileIds=list(r['files']))
        return 404, answer(1210, 'Resource not found')


srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
with open(port_file + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.replace(port_file + '.tmp', port_file)
srv.serve_forever()
