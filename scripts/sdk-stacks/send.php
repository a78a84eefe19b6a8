<?php
// Messages create with PHP's curl extension (twilio-php's CurlClient), as an app would call
// Twilio: nothing here knows about switchboard. libcurl reads HTTPS_PROXY; curl.cainfo comes
// from the ini folder `switchboard env --sdk php` adds with PHP_INI_SCAN_DIR.
$sid = getenv('TWILIO_ACCOUNT_SID');
$token = getenv('TWILIO_AUTH_TOKEN');
$curl = curl_init("https://api.twilio.com/2010-04-01/Accounts/$sid/Messages.json");
curl_setopt_array($curl, [
    CURLOPT_POST => true,
    CURLOPT_POSTFIELDS => http_build_query(['From' => $argv[1], 'To' => $argv[2], 'Body' => $argv[3]]),
    CURLOPT_USERPWD => "$sid:$token",
    CURLOPT_RETURNTRANSFER => true,
]);
$body = curl_exec($curl);
if ($body === false) {
    echo curl_error($curl), "\n";
    exit(1);
}
$status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
echo $status, "\n", $body, "\n";
exit($status === 201 ? 0 : 1);
